import { fmtShape, sizeOf } from '@tapegrad/tensor';
import type { Layer } from './layers.js';

/** One row of the summary table: a layer as seen from outside. */
export interface LayerDescription {
  name: string;
  type: string;
  input: string;
  output: string;
  activation: string;
  bias: string;
  params: number;
  trainable: boolean;
}

/** Describes each layer for the summary; sizes not yet known (an unbuilt model) show as `?`. */
export function describeLayers(layers: readonly Layer[], inputShape: readonly number[] | null): LayerDescription[] {
  let size: number | null = inputShape ? sizeOf(inputShape) : null;
  return layers.map((l, i) => {
    const inSize = l.inputSize ?? size;
    const outSize = l.outputSize;
    size = outSize;
    return {
      name: l.name,
      type: l.type,
      input: i === 0 && inputShape ? fmtShape(inputShape) : inSize === null ? '?' : `[${inSize}]`,
      output: outSize === null ? '?' : `[${outSize}]`,
      activation: l.activationName,
      bias: l.type === 'Dense' ? (l.hasBias ? 'yes' : 'no') : '-',
      params: l.countParams(),
      trainable: l.trainable,
    };
  });
}

const fmtInt = (n: number): string => n.toLocaleString('en-US');

/** The Keras-style layer table (name, type, input, output, activation, bias, parameters) with the totals. */
export function formatSummary(modelName: string, layers: readonly LayerDescription[]): string {
  const header = ['Layer (name)', 'Type', 'Input', 'Output', 'Activation', 'Bias', 'Params'];
  const rows = layers.map((l) => [l.name, l.type, l.input, l.output, l.activation, l.bias, fmtInt(l.params)]);
  let total = 0;
  let trainable = 0;
  for (const l of layers) {
    total += l.params;
    if (l.trainable) trainable += l.params;
  }
  const widths = header.map((h, i) => rows.reduce((w, r) => Math.max(w, r[i]!.length), h.length));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const rule = '='.repeat(widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1));
  return [
    `Model: "${modelName}"`,
    rule,
    line(header),
    rule.replace(/=/g, '-'),
    ...rows.map(line),
    rule,
    `Total params: ${fmtInt(total)}`,
    `Trainable params: ${fmtInt(trainable)}`,
    `Non-trainable params: ${fmtInt(total - trainable)}`,
  ].join('\n');
}
