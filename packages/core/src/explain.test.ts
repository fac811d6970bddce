import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ContactQuestion, type DecisionRecord, decide, decisionReasons } from './decision.ts';
import { explainDecision } from './explain.ts';

const record = (p: Partial<DecisionRecord>): DecisionRecord => ({
  id: 'r1',
  targetType: 'topic',
  targetKey: 'newsletter',
  channel: 'email',
  scopeType: 'workspace',
  scopeKey: '',
  state: 'withdrawn',
  occurredAt: '2026-11-20T09:30:00.000Z',
  expiresAt: null,
  source: 'email_unsubscribe',
  ...p,
});

const newsletter: ContactQuestion = { kind: 'contact', channel: 'email', topic: 'newsletter' };

describe('explainDecision', () => {
  it('says who decided what, when and how', () => {
    const d = decide(newsletter, [record({})]);
    expect(explainDecision(newsletter, d, 'Ana')).toBe(
      'Ana withdrew consent to the email newsletter on 2026-11-20 by unsubscribe link.',
    );
  });

  it('names the broader decision that covers the question', () => {
    const all = record({ targetType: 'channel', targetKey: 'email', source: 'sms_keyword' });
    const weekly: ContactQuestion = { ...newsletter, topic: 'weekly', topicAncestors: ['newsletter'] };
    expect(explainDecision(weekly, decide(weekly, [all]), 'Ana')).toBe(
      'Ana withdrew consent to all email messages on 2026-11-20 by SMS keyword, which covers the email weekly.',
    );
    const parent = record({ state: 'granted', source: 'form' });
    expect(explainDecision(weekly, decide(weekly, [parent]))).toBe(
      'The person consented to the email newsletter on 2026-11-20 through a form, which covers the email weekly.',
    );
  });

  it('explains suppression, expiry, legal bases and vendors', () => {
    const suppressed = { ...newsletter, suppressed: { reason: 'hard_bounce', at: '2026-01-01T00:00:00Z' } };
    expect(explainDecision(suppressed, decide(suppressed, []))).toBe(
      "The person's identifier is on the suppression list for email.",
    );
    const expired = record({ state: 'granted', expiresAt: '2026-12-01T00:00:00.000Z' });
    expect(
      explainDecision(newsletter, decide(newsletter, [expired], '2027-01-01T00:00:00.000Z'), 'Ana'),
    ).toBe("Ana's consent to the email newsletter expired on 2026-12-01; ask again.");
    const li = { kind: 'processing', purpose: 'fraud', legalBasis: 'legitimate_interest' } as const;
    expect(explainDecision(li, decide(li, []), 'Ana')).toBe(
      'Allowed on legitimate interest: Ana has not objected to fraud.',
    );
    const ads = { kind: 'processing', purpose: 'ads', vendor: 'adnet', legalBasis: 'consent' } as const;
    const granted = record({ targetType: 'purpose', targetKey: 'ads', channel: '', state: 'granted' });
    const vendorNo = record({
      id: 'r2',
      targetType: 'vendor',
      targetKey: 'adnet',
      channel: '',
      state: 'denied',
      source: 'banner',
    });
    expect(explainDecision(ads, decide(ads, [granted, vendorNo]), 'Ana')).toBe(
      'Ana refused the vendor adnet on 2026-11-20 in the cookie banner, which covers adnet processing data for ads.',
    );
  });

  it('has a sentence for every reason, ending with a full stop', () => {
    fc.assert(
      fc.property(fc.constantFrom(...decisionReasons), fc.boolean(), (reason, withRecord) => {
        const r = withRecord ? record({ expiresAt: '2026-12-01T00:00:00.000Z' }) : null;
        const text = explainDecision(newsletter, { allowed: false, reason, record: r }, 'Ana');
        expect(text).toMatch(/^[A-Z].*\.$/);
        expect(text).not.toContain('undefined');
      }),
    );
  });
});
