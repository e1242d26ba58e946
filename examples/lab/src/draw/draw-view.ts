// Section 3: draw a digit with a mouse, a finger or a pen (pointer events), and see the current model's ten
// probabilities update while drawing. "Use a test digit" gives the same from the keyboard: the model sees that
// test digit's own 28×28 pixels, as in the test set (until the next stroke).
import { Tensor, softmax } from '@tapegrad/tensor';
import { byId, h } from '../dom.js';
import { currentModel, currentSamples, onModel } from '../model-store.js';
import { toMnistInput } from './preprocess.js';

const STROKE = 22;

/** Wires the canvas, the buttons and the probability bars. */
export function mountDrawing(): void {
  const canvas = byId<HTMLCanvasElement>('draw-canvas');
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  const preview = byId<HTMLCanvasElement>('draw-preview').getContext('2d')!;
  let drawing = false;
  let last: [number, number] | null = null;
  let scheduled = false;
  let sample = 0;
  let hasInk = false;
  let sampleInput: Float32Array | null = null;

  const clear = (): void => {
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    hasInk = false;
    sampleInput = null;
    preview.clearRect(0, 0, 28, 28);
    renderProbabilities(null);
  };
  const point = (event: PointerEvent): [number, number] => {
    const r = canvas.getBoundingClientRect();
    return [((event.clientX - r.left) * canvas.width) / r.width, ((event.clientY - r.top) * canvas.height) / r.height];
  };
  const schedulePredict = (): void => {
    if (scheduled) return;
    scheduled = true;
    requestAnimationFrame(() => {
      scheduled = false;
      predict();
    });
  };
  const stroke = (to: [number, number]): void => {
    ctx.strokeStyle = '#fff';
    ctx.fillStyle = '#fff';
    ctx.lineWidth = STROKE;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.beginPath();
    if (last) {
      ctx.moveTo(last[0], last[1]);
      ctx.lineTo(to[0], to[1]);
      ctx.stroke();
    } else {
      ctx.arc(to[0], to[1], STROKE / 2, 0, 2 * Math.PI);
      ctx.fill();
    }
    last = to;
    hasInk = true;
    sampleInput = null;
    schedulePredict();
  };

  canvas.addEventListener('pointerdown', (event) => {
    event.preventDefault();
    canvas.setPointerCapture(event.pointerId);
    drawing = true;
    last = null;
    stroke(point(event));
  });
  canvas.addEventListener('pointermove', (event) => {
    if (drawing) stroke(point(event));
  });
  const end = (): void => {
    drawing = false;
    last = null;
  };
  canvas.addEventListener('pointerup', end);
  canvas.addEventListener('pointercancel', end);
  byId('draw-clear').addEventListener('click', clear);
  byId('draw-sample').addEventListener('click', () => {
    const s = currentSamples();
    if (!s) return;
    const k = sample++ % s.y.length;
    clear();
    hasInk = true;
    sampleInput = s.x.slice(k * 784, (k + 1) * 784);
    const tmp = h('canvas', { width: 28, height: 28 });
    paintDigit(tmp.getContext('2d')!, sampleInput);
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(tmp, 0, 0, canvas.width, canvas.height);
    const label = byId('draw-sample-label');
    label.textContent = `Test digit #${k}, labelled ${s.y[k]}.`;
    label.dataset.sample = String(k);
    predict();
  });

  function predict(): void {
    if (!hasInk) return;
    const input = sampleInput ?? canvasInput();
    paintDigit(preview, input);
    const current = currentModel();
    if (!current) {
      renderProbabilities(null);
      return;
    }
    let out = current.model.predict(new Tensor(input, [1, 784]));
    // A model whose last layer is not a softmax (logits) is shown through one.
    const values = Array.from(out.values());
    const sum = values.reduce((s, v) => s + v, 0);
    if (values.some((v) => v < 0) || Math.abs(sum - 1) > 1e-3) out = softmax(out, -1);
    renderProbabilities(Array.from(out.values()));
  }

  function canvasInput(): Float32Array {
    const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
    const ink = new Float32Array(canvas.width * canvas.height);
    for (let i = 0; i < ink.length; i++) ink[i] = data[i * 4]! / 255;
    return toMnistInput(ink, canvas.width, canvas.height);
  }

  // a new model: new probabilities for what is drawn, or (nothing drawn yet) the prompt to draw
  onModel(() => (hasInk ? predict() : renderProbabilities(null)));
  clear();
}

/** Paints 784 pixel values in [0, 1] as a 28×28 grey image at the top left of `target`. */
function paintDigit(target: CanvasRenderingContext2D, pixels: Float32Array): void {
  const image = target.createImageData(28, 28);
  const rgba = image.data;
  for (let i = 0; i < 784; i++) {
    const v = Math.round(pixels[i]! * 255);
    rgba[4 * i] = rgba[4 * i + 1] = rgba[4 * i + 2] = v;
    rgba[4 * i + 3] = 255;
  }
  target.putImageData(image, 0, 0);
}

function renderProbabilities(p: number[] | null): void {
  const live = byId('prediction');
  const bars = byId('probabilities');
  if (!p) {
    live.textContent = currentModel()
      ? 'Model ready: draw a digit to see the probabilities.'
      : 'No model yet: train one (section 2) or load a saved model, then draw.';
    bars.replaceChildren();
    bars.removeAttribute('data-probabilities');
    return;
  }
  const best = p.indexOf(Math.max(...p));
  live.textContent = `Prediction: ${best}, probability ${(p[best]! * 100).toFixed(1)}%.`;
  bars.dataset.probabilities = JSON.stringify(p);
  bars.replaceChildren(
    ...p.map((v, d) =>
      h(
        'li',
        { class: d === best ? 'best' : '' },
        h('span', { class: 'digit' }, String(d)),
        h('span', { class: 'bar', 'aria-hidden': 'true' }, h('span', { style: `width: ${(v * 100).toFixed(1)}%` })),
        h('span', { class: 'pct' }, `${(v * 100).toFixed(1)}%`),
      ),
    ),
  );
}
