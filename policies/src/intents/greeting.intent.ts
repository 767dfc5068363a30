import { type IntentModule } from './intent';

/** "hello", "thanks": conversation, no tool. */
export const greetingIntent: IntentModule = {
  id: 'greeting',
  match(text) {
    if (/^(?:hi|hello|hey|good (?:morning|afternoon|evening)|thanks?|thank you|cheers)\b/.test(text))
      return { kind: 'greeting', intent: 'none', calls: [] };
    return undefined;
  },
  examples: [
    { say: 'hello', kind: 'greeting', calls: [] },
    { say: 'thanks, that is all', kind: 'greeting', calls: [] },
  ],
};
