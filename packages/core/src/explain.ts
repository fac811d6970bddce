import type { Decision, DecisionRecord, Question } from './decision.ts';

const sourceWords: Record<string, string> = {
  banner: 'in the cookie banner',
  preference_center: 'in the preference center',
  form: 'through a form',
  api: 'through the API',
  import: 'in an import',
  email_unsubscribe: 'by unsubscribe link',
  sms_keyword: 'by SMS keyword',
  double_opt_in: 'by confirming their address',
  call_center: 'with the call center',
  in_store: 'in store',
  paper: 'on paper',
};

function what(q: Question): string {
  if (q.kind === 'processing') return q.vendor ? `${q.vendor} processing data for ${q.purpose}` : q.purpose;
  return q.topic ? `the ${q.channel} ${q.topic}` : `${q.channel} messages`;
}

/** True when the record is about the very thing asked, not a broader (or vendor) decision that covers it. */
function isAbout(q: Question, r: DecisionRecord): boolean {
  if (q.kind === 'processing') return r.targetType === 'purpose' && r.targetKey === q.purpose;
  if (q.topic) return r.targetType === 'topic' && r.targetKey === q.topic && r.channel === q.channel;
  return r.targetType === 'channel' && r.targetKey === q.channel;
}

function recordWhat(r: DecisionRecord): string {
  switch (r.targetType) {
    case 'channel':
      return `all ${r.targetKey} messages`;
    case 'topic':
      return r.channel ? `the ${r.channel} ${r.targetKey}` : `the ${r.targetKey} topic`;
    case 'vendor':
      return `the vendor ${r.targetKey}`;
    default:
      return r.targetKey;
  }
}

/** One plain-language sentence that says why the decision came out as it did. */
export function explainDecision(q: Question, d: Decision, subjectName = 'The person'): string {
  const r = d.record;
  const on = r ? ` on ${r.occurredAt.slice(0, 10)} ${sourceWords[r.source] ?? `via ${r.source}`}` : '';
  const target = what(q);
  // a broader decision (all email, a parent topic, the vendor) names what it was about
  const decided = r && !isAbout(q, r) ? recordWhat(r) : target;
  const covers = decided === target ? '' : `, which covers ${target}`;
  switch (d.reason) {
    case 'granted':
      return `${subjectName} consented to ${decided}${on}${covers}.`;
    case 'denied':
      return `${subjectName} refused ${decided}${on}${covers}.`;
    case 'withdrawn':
      return `${subjectName} withdrew consent to ${decided}${on}${covers}.`;
    case 'objected':
      return `${subjectName} objected to ${decided}${on}${covers}.`;
    case 'pending_confirmation':
      return `${subjectName} asked for ${decided}${on} but has not confirmed yet${covers}.`;
    case 'expired':
      return `${subjectName}'s consent to ${decided} expired${r?.expiresAt ? ` on ${r.expiresAt.slice(0, 10)}` : ''}${covers}; ask again.`;
    case 'suppressed':
      return `${subjectName}'s identifier is on the suppression list for ${q.kind === 'contact' ? q.channel : target}.`;
    case 'no_consent':
      return `${subjectName} has not consented to ${target}.`;
    case 'legitimate_interest':
      return `Allowed on legitimate interest: ${subjectName.toLowerCase() === 'the person' ? 'the person' : subjectName} has not objected to ${target}.`;
    case 'not_required':
      return `No consent is needed for ${target}.`;
  }
}
