import { ArgumentError } from '@aimodel/tensor';
import { describe, expect, it } from 'vitest';
import { tokenize, tokenizerOf } from '../src/index';

describe('tokenize: words (defaults)', () => {
  it('lowercases, splits on punctuation and keeps apostrophes inside words', () => {
    expect(tokenize("Don't panic: it's l'heure! Rock'n'roll, 'quoted' dogs'")).toEqual(["don't", 'panic', "it's", "l'heure", "rock'n'roll", 'quoted', 'dogs']);
    expect(tokenize('L’homme d’affaires')).toEqual(['l’homme', 'd’affaires']);
  });

  it('keeps digits as tokens and splits numbers at punctuation', () => {
    expect(tokenize('Version 3.14 costs $42, e-mail me at 9am.')).toEqual(['version', '3', '14', 'costs', '42', 'e', 'mail', 'me', 'at', '9am']);
  });

  it('is Unicode-aware: accented letters, combining marks, Cyrillic, Greek, Devanagari', () => {
    expect(tokenize('CAFÉ naïve Straße')).toEqual(['café', 'naïve', 'straße']);
    // e + U+0301 (combining acute) stays one token with its mark
    expect(tokenize('Cafe\u0301 ole\u0301')).toEqual(['cafe\u0301', 'ole\u0301']);
    expect(tokenize('Привет, Мир! Καλημέρα')).toEqual(['привет', 'мир', 'καλημέρα']);
    expect(tokenize('हिन्दी भाषा')).toEqual(['हिन्दी', 'भाषा']);
  });

  it('gives nothing for text without letters or digits', () => {
    expect(tokenize('')).toEqual([]);
    expect(tokenize(' ... !!! \n\t ')).toEqual([]);
  });
});

describe('tokenize: options', () => {
  it('lowercase: false keeps case', () => {
    expect(tokenize('The Cat SAT', { lowercase: false })).toEqual(['The', 'Cat', 'SAT']);
  });

  it('pattern: a custom RegExp, with or without the g flag, not modified', () => {
    const p = /\S+/;
    expect(tokenize('Hello, world!  x', { pattern: p })).toEqual(['hello,', 'world!', 'x']);
    expect(p.flags).toBe('');
    expect(tokenize('a1 b22 c333', { pattern: /\d+/g })).toEqual(['1', '22', '333']);
    // a sticky pattern is used as a plain global one; empty matches are skipped
    expect(tokenize('ab cd', { pattern: /[a-z]*/y })).toEqual(['ab', 'cd']);
  });

  it('stopWords are compared after lowercasing (their own case does not matter)', () => {
    expect(tokenize('The cat and THE hat', { stopWords: ['The', 'and'] })).toEqual(['cat', 'hat']);
    expect(tokenize('The cat the', { stopWords: new Set(['the']), lowercase: false })).toEqual(['The', 'cat']);
  });

  it('minLength / maxLength count code points', () => {
    expect(tokenize('a an ant ante anter', { minLength: 2, maxLength: 4 })).toEqual(['an', 'ant', 'ante']);
    // 𝒳 is one code point (two UTF-16 units)
    expect(tokenize('𝒳 𝒳𝒳', { maxLength: 1 })).toEqual(['𝒳']);
  });

  it('locale lowercases with the locale rules (Turkish dotted I)', () => {
    expect(tokenize('İstanbul', { locale: 'tr' })).toEqual(['istanbul']);
  });
});

describe('tokenize: scripts without spaces (Intl.Segmenter)', () => {
  it('Chinese text becomes words', () => {
    expect(tokenize('机器学习模型')).toEqual(['机器', '学习', '模型']);
    expect(tokenize('我喜欢自然语言处理。')).toEqual(['我', '喜欢', '自然', '语言', '处理']);
    expect(tokenize('今天天气很好，我们去公园散步吧！')).toEqual(['今天', '天气', '很好', '我们', '去', '公园', '散步', '吧']);
  });

  it('mixed Chinese and Latin text: segmented first, then the pattern inside each word', () => {
    expect(tokenize('机器学习 Model 3.5 版本')).toEqual(['机器', '学习', 'model', '3', '5', '版本']);
    expect(tokenize('学习model 2024年')).toEqual(['学习', 'model', '2024', '年']); // runs holding Han go through the segmenter
  });

  it('a run between white space without those scripts reads as in text without them', () => {
    // the pattern keeps digits and letters together ('19개가') and reads '¼' as a number, with or without Han elsewhere
    expect(tokenize('19개가 ¼ cup')).toEqual(['19개가', '¼', 'cup']);
    expect(tokenize('19개가 ¼ cup 中文')).toEqual(['19개가', '¼', 'cup', '中文']);
  });

  it('Japanese and Thai', () => {
    expect(tokenize('東京は日本の首都です')).toEqual(['東京', 'は', '日本', 'の', '首都', 'です']);
    expect(tokenize('ภาษาไทยง่ายนิดเดียว')).toEqual(['ภาษา', 'ไทย', 'ง่าย', 'นิด', 'เดียว']);
  });

  it('an explicit locale is accepted', () => {
    expect(tokenize('机器学习模型', { locale: 'zh-Hans' })).toEqual(['机器', '学习', '模型']);
  });
});

describe("tokenize: mode 'characters'", () => {
  it('gives grapheme clusters: emoji sequences, flags and combining marks stay whole; whitespace dropped', () => {
    expect(tokenize('Hi 👋🏽!', { mode: 'characters' })).toEqual(['h', 'i', '👋🏽', '!']);
    expect(tokenize('👩‍👩‍👧 🇫🇷 e\u0301', { mode: 'characters' })).toEqual(['👩‍👩‍👧', '🇫🇷', 'e\u0301']);
    expect(tokenize('床前 明月光。', { mode: 'characters' })).toEqual(['床', '前', '明', '月', '光', '。']);
    expect(tokenize('AB', { mode: 'characters', lowercase: false })).toEqual(['A', 'B']);
    expect(tokenize('a,b', { mode: 'characters', stopWords: [','] })).toEqual(['a', 'b']);
  });
});

describe('tokenize: errors', () => {
  it('rejects unknown options, naming the op and the valid keys', () => {
    expect(() => tokenize('x', { keepCase: true } as never)).toThrow(ArgumentError);
    expect(() => tokenize('x', { keepCase: true } as never)).toThrow(
      "tokenize: unknown option 'keepCase' (expected lowercase, pattern, mode, locale, stopWords, minLength, maxLength)",
    );
    expect(() => tokenize('x', null as never)).toThrow('tokenize: expected an options object, got null');
  });

  it('rejects bad option values', () => {
    const bad: [object, string][] = [
      [{ pattern: '\\w+' }, 'tokenize: pattern must be a RegExp, got a string'],
      [{ mode: 'bytes' }, "tokenize: mode must be 'words' or 'characters'"],
      [{ lowercase: 'yes' }, 'tokenize: lowercase must be a boolean'],
      [{ locale: 5 }, 'tokenize: locale must be a string'],
      [{ locale: 'not a locale!' }, "tokenize: locale 'not a locale!' is not a valid BCP 47 language tag"],
      [{ stopWords: 'the' }, 'tokenize: stopWords must be an iterable of strings'],
      [{ stopWords: [1] }, 'tokenize: stopWords must contain strings only'],
      [{ minLength: -1 }, 'tokenize: minLength must be an integer >= 0'],
      [{ maxLength: 1.5 }, 'tokenize: maxLength must be an integer >= 1'],
      [{ minLength: 3, maxLength: 2 }, 'tokenize: minLength (3) is greater than maxLength (2)'],
      [{ mode: 'characters', pattern: /./g }, "tokenize: pattern applies to mode 'words' only"],
      [{ mode: 'characters', minLength: 1 }, "tokenize: minLength applies to mode 'words' only"],
    ];
    for (const [opts, message] of bad) {
      expect(() => tokenize('x', opts as never), JSON.stringify(opts)).toThrow(ArgumentError);
      expect(() => tokenize('x', opts as never), JSON.stringify(opts)).toThrow(message);
    }
  });

  it('rejects a text that is not a string', () => {
    expect(() => tokenize(42 as never)).toThrow('tokenize: expected a string, got a number (42)');
    expect(() => tokenize(undefined as never)).toThrow(ArgumentError);
  });
});

describe('tokenizerOf', () => {
  it('default, options and functions', () => {
    expect(tokenizerOf(undefined)('A b')).toEqual(['a', 'b']);
    expect(tokenizerOf({ lowercase: false })('A b')).toEqual(['A', 'b']);
    expect(tokenizerOf((s) => s.split('-'))('x-Y')).toEqual(['x', 'Y']);
  });

  it('checks options once and the results of functions', () => {
    expect(() => tokenizerOf({ bogus: 1 } as never)).toThrow("tokenizer: unknown option 'bogus'");
    expect(() => tokenizerOf(3 as never)).toThrow('tokenizer: expected tokenize options or a function, got a number (3)');
    expect(() => tokenizerOf((() => 'ab') as never)('x')).toThrow('tokenizer: a tokenizer function must return an array of strings');
    expect(() => tokenizerOf((() => [1]) as never)('x')).toThrow('tokenizer: a tokenizer function must return strings only');
  });
});
