import { describe, expect, it } from 'vitest';
import { Dense, Dropout, Flatten, Sequential, mlp } from '../src/index.js';

describe('summary', () => {
  it('prints the layer table and totals, identical across calls', () => {
    const m = new Sequential({ seed: 0, name: 'mnist_mlp' });
    m.add(new Flatten({ inputShape: [28, 28] }));
    m.add(new Dense(128, { activation: 'relu' }));
    m.add(new Dropout(0.2));
    const frozen = new Dense(10, { activation: 'softmax', useBias: false, trainable: false, name: 'out' });
    m.add(frozen);
    const printed: string[] = [];
    const writer = { write: (s: string) => void printed.push(s) };
    const a = m.summary({ writer });
    const b = m.summary({ writer });
    expect(a).toBe(b);
    expect(printed).toEqual([`${a}\n`, `${a}\n`]);
    expect(a).toBe(
      [
        'Model: "mnist_mlp"',
        '==================================================================',
        'Layer (name)  Type     Input     Output  Activation  Bias   Params',
        '------------------------------------------------------------------',
        'flatten       Flatten  [28, 28]  [784]   -           -           0',
        'dense         Dense    [784]     [128]   relu        yes   100,480',
        'dropout       Dropout  [128]     [128]   -           -           0',
        'out           Dense    [128]     [10]    softmax     no      1,280',
        '==================================================================',
        'Total params: 101,760',
        'Trainable params: 100,480',
        'Non-trainable params: 1,280',
      ].join('\n'),
    );
    // a non-trainable layer's parameters are not given to the optimizer
    m.compile({ optimizer: 'sgd', loss: 'cse' });
    expect(m.trainableParameters().length).toBe(2);
  });

  it('an unbuilt model shows unknown sizes; mlp() gives the classic 784-100-10 counts', () => {
    const m = new Sequential([new Dense(4), new Dense(2)]);
    const s = m.summary({ print: false });
    expect(s).toContain('dense         Dense  ?      ?       linear      yes        0');
    expect(s).toContain('Total params: 0');
    const net = mlp([784, 100, 10], { hidden: 'sigmoid', output: 'softmax', loss: 'cse', optimizer: 'sgd' });
    expect(net.summary({ print: false })).toContain('Total params: 79,510');
  });
});
