export {
  type BackendChoice,
  backendOverrides,
  initTfjsBackend,
  planTfjsBackend,
  selectTfjsBackend,
  type Tfjs,
  type TfjsBackendName,
  type TfjsPurpose,
  tfjsEnvironment,
} from './backend.js';
export { createEngine } from './create-engine.js';
export type { Engine, EngineKind, EngineOptions, EngineOutput, TfjsBackend } from './engine.js';
export { fileLoadHandler, fileSaveHandler, loadLayersModel, saveLayersModel } from './io/layers-model-io.js';
export { sessionOptions } from './onnx-engine.js';
export { outputsOfRow, selectOutputs, splitOutputs } from './outputs.js';
