export { startLlmSim, type LlmSimOptions, type RunningLlmSim } from './server';
export {
  chunkText,
  estimateTokens,
  splitJson,
  type LlmApi,
  type RecordedRequest,
  type ScriptStep,
  type ScriptedError,
  type ScriptedReply,
  type ScriptedToolUse,
} from './script';
