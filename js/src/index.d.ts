// Types of tfjs-quant's JavaScript API (src/index.js). tfjs's own types are
// restated structurally, so the package needs no tfjs dependency.

/** A tfjs weight entry (tf.io.WeightsManifestEntry). */
export interface WeightsManifestEntry {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32' | 'bool' | 'string' | 'complex64';
  group?: 'model' | 'optimizer';
  quantization?: {
    dtype: 'uint8' | 'uint16' | 'float16';
    min?: number;
    scale?: number;
    original_dtype?: string;
  };
}

/** A tfjs weights manifest (tf.io.WeightsManifestConfig). */
export type WeightsManifestConfig = Array<{ paths: string[]; weights: WeightsManifestEntry[] }>;

/** tfjs ModelArtifacts, as IOHandlers save and load them. */
export interface ModelArtifacts {
  modelTopology?: object | ArrayBuffer;
  weightSpecs?: WeightsManifestEntry[];
  weightData?: ArrayBuffer | ArrayBuffer[];
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  signature?: object;
  userDefinedMetadata?: { [key: string]: unknown };
  modelInitializer?: object;
  initializerSignature?: object;
  trainingConfig?: any;
  getWeightStream?: () => unknown;
}

/** A tfjs IOHandler (only `save` is used). */
export interface IOHandler {
  save?(artifacts: any): Promise<any>;
  load?(...args: any[]): Promise<any>;
}

/** Which weights to quantize: every float32 weight no pattern took (true), or patterns. */
export type DTypeRule = boolean | string | string[];

/**
 * The CLI's quantize options (tfjs-quant quantize --help). Options are a
 * plain object; a Map, an array, a class instance or a key the call does
 * not take (an own "__proto__" included) is an INVALID_ARGUMENT.
 */
export interface QuantizeOptions {
  /** --quantize_uint8: true, or Python fnmatch patterns ('conv*,dense/*' or an array). */
  uint8?: DTypeRule;
  uint16?: DTypeRule;
  float16?: DTypeRule;
  /** Each weight's encoding by name, instead of the patterns (the page's choices); weights not named are kept. */
  plan?: { [name: string]: 'uint8' | 'uint16' | 'float16' | 'float32' | 'keep' };
  /** --skip: patterns of weights kept as stored, whatever else matches. */
  skip?: string | string[];
  /** --weight_shard_size_bytes (default 4194304). */
  shardSizeBytes?: number;
  /** 'float64' (numpy >= 2, default) or 'float32' (numpy 1.x). */
  arithmetic?: 'float64' | 'float32';
  /** --limit NAME=N: the safety limits of docs/safety.md, e.g. {json_depth: 5000}. */
  limits?: { [name: string]: number };
  /**
   * Which file of the map is the model JSON, a plain name (default: as the CLI picks in a folder).
   * Files only: with ModelArtifacts (or named tensors) it is an INVALID_ARGUMENT.
   */
  json?: string;
}

/** dequantize takes only these; any other option is an INVALID_ARGUMENT. */
export type DequantizeOptions = Pick<QuantizeOptions, 'shardSizeBytes' | 'limits' | 'json'>;

/** The options for ModelArtifacts and named tensors: no `json` (there is no file to name). */
export type ArtifactsQuantizeOptions = Omit<QuantizeOptions, 'json'>;
export type ArtifactsDequantizeOptions = Omit<DequantizeOptions, 'json'>;

/** Files of a model folder: name -> bytes (or text, for a JSON file). */
export type ModelFiles = Map<string, Uint8Array | ArrayBuffer | string> | {
  [name: string]: Uint8Array | ArrayBuffer | string;
};

/** What happened to each weight, as the CLI summarizes it. */
export interface WriteReport {
  tensors: Array<{
    name: string;
    before: 'raw' | 'uint8' | 'uint16' | 'float16';
    after: 'raw' | 'uint8' | 'uint16' | 'float16';
    changed: boolean;
    bytesBefore: number;
    bytesAfter: number;
  }>;
  bytesBefore: number;
  bytesAfter: number;
  /** Every file written, the JSON last. */
  files: string[];
  warnings: string[];
}

export interface WrittenFiles {
  /** Name -> bytes, exactly as the CLI writes them into OUT. */
  files: Map<string, Uint8Array>;
  report: WriteReport;
}

/**
 * A tf.Tensor, or plain values: dtype float32, int32, bool or string (others
 * are an INVALID_ARGUMENT).
 */
export interface TensorLike {
  shape: number[];
  dtype: string;
  /** Values in row-major order, or a tf.Tensor's data() method. */
  data: Float32Array | Int32Array | Uint8Array | number[] | boolean[] | Array<string | Uint8Array> |
    (() => Promise<unknown>);
  /** A tf.Tensor's bytes(): string tensors are read through it. */
  bytes?: () => Promise<unknown>;
}

export type NamedTensors =
  | { [name: string]: TensorLike }
  | Map<string, TensorLike>
  | Array<{ name: string; tensor: TensorLike; isSkipQuantization?: boolean }>;

export interface QuantizedTensors extends WrittenFiles {
  /** The weights_manifest.json written, parsed. */
  manifest: WeightsManifestConfig;
  /** Every shard in manifest order, as one buffer (for tf.io.decodeWeights). */
  weightData: ArrayBuffer;
}

/** Thrown by every call: `code` names the kind of failure. */
export class TfjsQuantError extends Error {
  /** One per status code of the core (StatusCodeId in src/status.cc). */
  code:
    | 'INVALID_ARGUMENT' | 'PARSE_ERROR' | 'FORMAT_ERROR' | 'UNSUPPORTED' | 'NOT_FOUND' | 'UNSAFE_PATH'
    | 'ALREADY_EXISTS' | 'IO_ERROR' | 'LIMIT_EXCEEDED' | 'OUT_OF_MEMORY' | 'EVALUATOR_FAILED'
    | 'BUDGET_UNREACHABLE' | 'MISMATCH' | 'INTERNAL'
    /** auto() stopped by its AbortSignal (the package's own; no status code of the core). */
    | 'CANCELLED';
}

/** Compiles and starts the WebAssembly module (each call does it when needed). */
export function ready(): Promise<unknown>;

/** ModelArtifacts in: a copy of them with the new weightSpecs and weightData out. */
export function quantize<A extends ModelArtifacts>(input: A, options?: ArtifactsQuantizeOptions): Promise<A>;
export function quantize(input: ModelFiles, options?: QuantizeOptions): Promise<WrittenFiles>;

export function dequantize<A extends ModelArtifacts>(input: A, options?: ArtifactsDequantizeOptions): Promise<A>;
export function dequantize(input: ModelFiles, options?: DequantizeOptions): Promise<WrittenFiles>;

export function quantizeTensors(tensors: NamedTensors, options?: ArtifactsQuantizeOptions): Promise<QuantizedTensors>;

export interface InspectOptions {
  /** The gzip and brotli sizes (default true; the slowest part on large models). */
  wire?: boolean;
  /** Files only, as QuantizeOptions.json. */
  json?: string;
  limits?: Record<string, number>;
}

interface WireSizes { bytes: number; gzip: number; brotli: number }
interface ErrorEstimate {
  sqnr_db: number | null;
  worst_channel_sqnr_db: number | null;
  worst_channel: number;
  max_abs_error: number;
}

/** What `tfjs-quant inspect --json` prints (docs/inspect.md); `model` is the model JSON's name. */
export interface InspectReport {
  model: string;
  format: string;
  totals: { stored: WireSizes; uint8: WireSizes; uint16: WireSizes; float16: WireSizes };
  /** By risk, highest first. The statistics are present for quantizable (float32) tensors. */
  tensors: Array<{
    name: string; dtype: string; shape: number[]; elements: number;
    stored_encoding: string; stored_bytes: number; quantizable: boolean;
    risk: 'none' | 'low' | 'medium' | 'high'; reason: string;
    min?: number; max?: number; mean?: number; std?: number; zero_share?: number;
    nan_count?: number; inf_count?: number; channel_axis?: number; channel_axis_reason?: string;
    channels?: number; dead_channels?: number;
    uint8?: ErrorEstimate; uint16?: ErrorEstimate; float16?: ErrorEstimate;
    uint8_levels_used?: number; worst_channel_range_share?: number; worst_channel_levels?: number;
    float16_overflow?: number; float16_underflow?: number;
    /** 64 counts of the finite values over [min, max], as the HTML report draws them. */
    histogram?: number[];
    /** The uint8 codes' values: min + k * scale for k = 0..255. */
    uint8_grid?: { min: number; scale: number; constant: boolean };
  }>;
}

export function inspect(input: ModelArtifacts | ModelFiles, options?: InspectOptions): Promise<InspectReport>;

/** `tfjs-quant diff A B` as values, tensor by tensor in A's order. */
export interface DiffReport {
  tensors: Array<{
    name: string; dtype: string;
    /** Stored encodings: "raw", "uint8", "uint16", "float16". */
    a: string; b: string;
    /** string and complex64 weights: compared byte for byte only. */
    bytesOnly: boolean;
    differs: boolean;
    maxAbsError: number | null; rmse: number | null;
    /** null where B decodes exactly as A. */
    sqnrDb: number | null;
    cosine: number | null;
  }>;
  differ: number;
}

export function diff(a: ModelArtifacts | ModelFiles, b: ModelArtifacts | ModelFiles,
                     options?: { limits?: Record<string, number> }): Promise<DiffReport>;

/**
 * An IOHandler that quantizes what it saves, then hands it to `handler` (whose load it keeps).
 * Options that are not a plain object, or hold what JSON cannot, throw here; an unknown key at save.
 */
export function withQuantization<H extends IOHandler>(handler: H, options?: ArtifactsQuantizeOptions): H;

/** What auto measures with: tfjs-core's namespace plus the two loaders (a page's global `tf`). */
export interface Tfjs {
  tensor(...args: any[]): any;
  tidy(...args: any[]): any;
  dispose(...args: any[]): void;
  io: { decodeWeights(...args: any[]): any };
  loadGraphModel(handler: any): Promise<any>;
  loadLayersModel(handler: any): Promise<any>;
}

/** A decoded RGBA8 image (e.g. a canvas's ImageData): one input sample. */
export interface RgbaImage {
  name: string;
  width: number;
  height: number;
  rgba: Uint8Array | Uint8ClampedArray;
}

export interface AutoProgress {
  evaluations: number;
  estimatedTotal: number;
  phase: string;
  elapsedMs: number;
}

/** Any other key (or options that are not a plain object) is an INVALID_ARGUMENT. */
export interface AutoOptions {
  tf: Tfjs;
  /** 'sqnr>=30', 'cosine>=0.999', 'maxabs<=0.01', 'top1>=0.99', joined by ','. */
  budget: string;
  count?: number;
  seed?: number;
  dims?: { [input: string]: number | number[] };
  outputs?: string[];
  images?: RgbaImage[];
  screenInputs?: number;
  shardSizeBytes?: number;
  json?: string;
  /** The safety limits the core reads the model with (docs/safety.md), e.g. {json_depth: 5000}. */
  limits?: { [name: string]: number };
  signal?: AbortSignal;
  onProgress?: (p: AutoProgress) => void;
}

/** Output metrics; null where exact (sqnr) or not finite. */
export interface AutoMetrics {
  sqnr_db: number | null;
  cosine: number | null;
  max_abs: number | null;
  top1: number | null;
  non_finite: boolean;
}

export interface AutoChoice {
  name: string;
  target: 'uint8' | 'uint16' | 'float16' | 'float32' | 'keep';
  why: string;
  group_size: number;
  alone_uint8_db: number | null;
}

export interface AutoResult {
  files: Map<string, Uint8Array>;
  plan: { [name: string]: AutoChoice['target'] };
  choices: AutoChoice[];
  verified: AutoMetrics;
  allUint8: AutoMetrics;
  check: AutoMetrics;
  holds: boolean;
  sizes: { float32: number; all_float16: number; all_uint8: number; chosen: number };
  bytes: { before: number; after: number };
  report: WriteReport;
  evaluations: number;
  inferences: number;
  kind: 'graph' | 'layers';
  /** The model's inputs and guarded outputs as measured: {name, shape, dtype}. */
  inputs: Array<{ name: string; shape: number[]; dtype: string }>;
  outputs: Array<{ name: string; shape: number[]; dtype: string }>;
  ms: number;
}

/** tfjs-quant auto, measured by `options.tf` in this process (docs/javascript.md). */
export function auto(files: ModelFiles, options: AutoOptions): Promise<AutoResult>;

/** The evaluator's eval reply (evaluator/README.md). */
export interface Measurement {
  results: object[];
  inferences?: number;
}

export interface SearchRequest {
  entries: WeightsManifestEntry[];
  assign: { [name: string]: string };
  inputs: number[] | null;
  weights: Uint8Array;
}

/** The stepped search, for callers with an evaluator of their own. */
export interface Search {
  tensors: number;
  next(measurement?: Measurement | null): Promise<
    { step: number; request: SearchRequest; progress: { evaluations: number; estimatedTotal: number; phase: string } } |
    { done: true; result: { tensors: AutoChoice[]; evaluations: number; inferences: number; [k: string]: unknown } }>;
  write(shardSizeBytes?: number): Promise<WrittenFiles>;
  check(measurement: Measurement): Promise<{ metrics: AutoMetrics; holds: boolean; described: string }>;
  close(): Promise<void>;
}

export function search(files: ModelFiles, options: {
  budget: string; numInputs: number; outputs: string[]; screenInputs?: number; json?: string;
  limits?: { [name: string]: number };
}): Promise<Search>;

/** The names the CLI's patterns take (fnmatch, as --quantize_uint8 and --skip). */
export function matchNames(names: string[], patterns: string | string[]): Promise<string[]>;
