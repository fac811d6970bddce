import type { Decision, Question } from './decision.ts';

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

/** One plain-language sentence that says why the decision came out as it did. */
export function explainDecision(q: Question, d: Decision, subjectName = 'The person'): string {
  const r = d.record;
  const on = r ? ` on ${r.occurredAt.slice(0, 10)} ${sourceWords[r.source] ?? `via ${r.source}`}` : '';
  const target = what(q);
  switch (d.reason) {
    case 'granted':
      return `${subjectName} consented to ${target}${on}.`;
    case 'denied':
      return `${subjectName} refused ${target}${on}.`;
    case 'withdrawn':
      return `${subjectName} withdrew consent to ${target}${on}.`;
    case 'objected':
      return `${subjectName} objected to ${target}${on}.`;
    case 'pending_confirmation':
      return `${subjectName} asked for ${target}${on} but has not confirmed yet.`;
    case 'expired':
      return `${subjectName}'s consent to ${target} expired on ${r?.expiresAt?.slice(0, 10)}; ask again.`;
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
