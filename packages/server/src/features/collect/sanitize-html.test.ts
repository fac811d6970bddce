import { describe, expect, it } from 'vitest';
import { sanitizeNoticeHtml } from './sanitize-html.ts';

describe('sanitizeNoticeHtml', () => {
  it('keeps text-level tags and https links', () => {
    expect(
      sanitizeNoticeHtml(
        '<p class="x"><strong>Hi</strong> see <a href="https://acme.example/privacy" onclick="x()">policy</a></p>',
      ),
    ).toBe(
      '<p><strong>Hi</strong> see <a href="https://acme.example/privacy" rel="noopener noreferrer" target="_blank">policy</a></p>',
    );
  });

  it('drops scripts, handlers and javascript: links, keeping their text escaped', () => {
    const out = sanitizeNoticeHtml(
      '<script>alert(1)</script><img src=x onerror=alert(1)><a href="javascript:alert(1)">x</a><a href="&#106;avascript:alert(1)">y</a>',
    );
    expect(out).not.toMatch(/<script|<img|javascript|onerror=alert/i);
    expect(out).toBe('alert(1)<a>x</a><a>y</a>');
  });

  it('survives character references beyond Unicode', () => {
    expect(sanitizeNoticeHtml('<a href="&#x110000;">x</a><a href="&#99999999999;">y</a>')).toBe(
      '<a>x</a><a>y</a>',
    );
  });

  it('escapes stray angle brackets and keeps entities', () => {
    expect(sanitizeNoticeHtml('a < b &amp; c & d &eacute; "q"')).toBe(
      'a &lt; b &amp; c &amp; d &eacute; &quot;q&quot;',
    );
    expect(sanitizeNoticeHtml('<p>x <<svg onload=1>')).toBe('<p>x &lt;</p>');
  });

  it('closes what is left open and ignores stray closing tags', () => {
    expect(sanitizeNoticeHtml('<p><em>a</p></li>b')).toBe('<p><em>a</em></p>b');
    expect(sanitizeNoticeHtml('<ul><li>one<li>two</ul>')).toBe('<ul><li>one<li>two</li></li></ul>');
  });
});
