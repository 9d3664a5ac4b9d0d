/**
 * What the engine needs from an ONNX model's signature, checked before any data is read: one [N, F] input of a
 * type it can feed, and one numeric tensor output chosen as the prediction (with a column for [N, C] outputs).
 * A ZipMap output (the default of skl2onnx and onnxmltools classifiers) cannot be returned by onnxruntime-node:
 * it is detected here and explained, and never fetched when a tensor output is chosen.
 */
import type { OutputSelector } from './manifest.js';
import {
  SUPPORTED_INPUT_TYPES,
  isFloatType,
  isNumericType,
  isSupportedInputType,
  type InputType,
  type OnnxSignature,
  type TensorInfo,
  type ValueInfo,
} from './onnx-session.js';

/** How to feed one ONNX model and read its prediction. */
export interface MemberPlan {
  inputName: string;
  inputType: InputType;
  /** Features per row the input takes; null when the model leaves it dynamic. */
  width: number | null;
  /** A fixed batch size (an export without a dynamic batch axis, e.g. [1, F]); null when dynamic. */
  fixedBatch: number | null;
  output: PlannedOutput;
}

export interface PlannedOutput {
  name: string;
  type: string;
  /** The column taken from a [N, C] output; null for [N] and [N, 1] outputs. */
  column: number | null;
  /** C when the model declares it; null for [N] outputs or a dynamic C. */
  columns: number | null;
}

export interface SignatureProblem {
  /** Whether the problem is in model.yml's `output` field (else it is in the ONNX file itself). */
  concerns: 'onnx' | 'output';
  message: string;
}

const ZIPMAP_ADVICE =
  'onnxruntime-node cannot return non-tensor (ZipMap) outputs. Re-export the classifier with ZipMap off ' +
  "(skl2onnx: options={'zipmap': False}; onnxmltools.convert_lightgbm/convert_xgboost: zipmap=False)";

export function describeShape(shape: (number | null)[] | null): string {
  return shape === null ? 'an unknown shape' : `[${shape.map((d) => (d === null ? 'N' : String(d))).join(', ')}]`;
}

function listNames(values: readonly ValueInfo[]): string {
  const names = values.map((v) => `"${v.name}"`);
  return names.length > 5 ? `${names.slice(0, 5).join(', ')} and ${names.length - 5} more` : names.join(', ');
}

function describeOutput(value: ValueInfo): string {
  return value.isTensor ? `"${value.name}" (${value.type} ${describeShape(value.shape)})` : `"${value.name}" (non-tensor, e.g. ZipMap)`;
}

export function planMember(
  signature: OnnxSignature,
  selector: OutputSelector | null,
): { ok: true; plan: MemberPlan } | { ok: false; problems: SignatureProblem[] } {
  const problems: SignatureProblem[] = [];
  const input = checkInput(signature, problems);
  const output = chooseOutput(signature, selector, problems);
  if (problems.length > 0 || !input || !output) return { ok: false, problems };
  return { ok: true, plan: { ...input, output } };
}

function checkInput(signature: OnnxSignature, problems: SignatureProblem[]): Omit<MemberPlan, 'output'> | null {
  const { inputs } = signature;
  if (inputs.length === 0) {
    problems.push({ concerns: 'onnx', message: 'the model has no inputs' });
    return null;
  }
  if (inputs.length > 1) {
    problems.push({
      concerns: 'onnx',
      message:
        `the model takes ${inputs.length} inputs (${listNames(inputs)}); the engine feeds one [N, F] matrix. ` +
        'Export with a single input, e.g. skl2onnx initial_types=[("float_input", FloatTensorType([None, F]))] ' +
        'rather than from a DataFrame (which makes one input per column)',
    });
    return null;
  }
  const input = inputs[0];
  if (!input.isTensor) {
    problems.push({ concerns: 'onnx', message: `input "${input.name}" is not a tensor; expected a [N, F] tensor` });
    return null;
  }
  let ok = true;
  if (!isSupportedInputType(input.type)) {
    problems.push({
      concerns: 'onnx',
      message: `input "${input.name}" has element type ${input.type}; supported: ${SUPPORTED_INPUT_TYPES.join(', ')} (float32 is what the converters declare)`,
    });
    ok = false;
  }
  if (input.shape !== null && input.shape.length !== 2) {
    problems.push({
      concerns: 'onnx',
      message: `input "${input.name}" has shape ${describeShape(input.shape)}; expected [N, F] (rows by features)`,
    });
    ok = false;
  }
  if (!ok) return null;
  const [batch, width] = input.shape ?? [null, null];
  return { inputName: input.name, inputType: input.type as InputType, width, fixedBatch: batch };
}

function chooseOutput(signature: OnnxSignature, selector: OutputSelector | null, problems: SignatureProblem[]): PlannedOutput | null {
  const { outputs } = signature;
  const available = `outputs: ${outputs.map(describeOutput).join(', ')}`;
  let chosen: TensorInfo;
  if (selector) {
    const match = outputs.find((o) => o.name === selector.name);
    if (!match) {
      problems.push({ concerns: 'output', message: `the model has no output "${selector.name}"; ${available}` });
      return null;
    }
    if (!match.isTensor) {
      const tensors = outputs.filter((o) => o.isTensor);
      problems.push({
        concerns: 'output',
        message:
          `output "${match.name}" is not a tensor (a ZipMap). ${ZIPMAP_ADVICE}` +
          (tensors.length > 0 ? `, or choose a tensor output: ${tensors.map(describeOutput).join(', ')}` : ''),
      });
      return null;
    }
    chosen = match;
  } else {
    const tensors = outputs.filter((o): o is TensorInfo => o.isTensor && isNumericType(o.type));
    const floats = tensors.filter((o) => isFloatType(o.type));
    const nonTensors = outputs.filter((o) => !o.isTensor);
    if (floats.length === 1) {
      chosen = floats[0];
    } else if (floats.length > 1) {
      problems.push({
        concerns: 'output',
        message: `the model has ${floats.length} float outputs; choose the prediction with output: <name> (${available})`,
      });
      return null;
    } else if (nonTensors.length > 0) {
      problems.push({
        concerns: 'output',
        message:
          `the model's probabilities are a non-tensor output (${nonTensors.map((o) => `"${o.name}"`).join(', ')}, a ZipMap) ` +
          `and no tensor output is chosen. ${ZIPMAP_ADVICE}` +
          (tensors.length > 0 ? `, or set output: ${tensors[0].name} to use that tensor output (${available})` : ''),
      });
      return null;
    } else if (tensors.length === 1) {
      chosen = tensors[0];
    } else {
      problems.push({
        concerns: 'output',
        message: tensors.length === 0 ? `the model has no numeric tensor output (${available})` : `choose the prediction with output: <name> (${available})`,
      });
      return null;
    }
  }
  return planColumn(chosen, selector?.column ?? null, problems);
}

function planColumn(output: TensorInfo, column: number | null, problems: SignatureProblem[]): PlannedOutput | null {
  if (!isNumericType(output.type)) {
    problems.push({ concerns: 'output', message: `output "${output.name}" has element type ${output.type}; a prediction must be numeric` });
    return null;
  }
  const shape = output.shape;
  if (shape !== null && (shape.length > 2 || shape.length === 0)) {
    problems.push({
      concerns: 'output',
      message: `output "${output.name}" has shape ${describeShape(shape)}; expected [N], [N, 1] or [N, C] with a column`,
    });
    return null;
  }
  const columns = shape !== null && shape.length === 2 ? shape[1] : null;
  if (column !== null) {
    if (shape !== null && shape.length === 1) {
      problems.push({ concerns: 'output', message: `output "${output.name}" has shape ${describeShape(shape)}, so it has no column ${column}; use output: ${output.name}` });
      return null;
    }
    if (columns !== null && column >= columns) {
      problems.push({
        concerns: 'output',
        message: `output "${output.name}" has ${columns} columns (${describeShape(shape)}); column ${column} does not exist (valid: 0 to ${columns - 1})`,
      });
      return null;
    }
    return { name: output.name, type: output.type, column, columns };
  }
  if (columns === null || columns === 1) return { name: output.name, type: output.type, column: null, columns };
  if (columns === 2) {
    // A binary classifier's probabilities: the positive class, as predict_proba(X)[:, 1].
    return { name: output.name, type: output.type, column: 1, columns };
  }
  problems.push({
    concerns: 'output',
    message: `output "${output.name}" has ${columns} columns (${describeShape(shape)}); choose one, e.g. output: ${output.name}[${columns - 1}]`,
  });
  return null;
}
