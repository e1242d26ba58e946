import { Dense, Sequential } from '@tapegrad/nn';
import { loadMnistPackage } from '@tapegrad/nn/node';

const { xTrain, yTrain, xTest, yTest } = loadMnistPackage(); // 8,000 train / 2,000 test real digits
const model = new Sequential({ seed: 0 });
model.add(new Dense(128, { activation: 'relu', inputShape: [784] }));
model.add(new Dense(10, { activation: 'softmax' }));
model.compile({ optimizer: 'adam', lr: 1e-3, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
model.fit(xTrain, yTrain, { epochs: 10, batchSize: 64, validationSplit: 0.1 });
console.log(model.evaluate(xTest, yTest)); // { loss: …, accuracy: ≈ 0.95 }
