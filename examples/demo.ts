/** A first look at tapegrad: views share memory, kernels return new tensors, the tape gives gradients. */
import { parameter, variable } from '@tapegrad/autograd';
import { arange, tensor } from '@tapegrad/tensor';

const x = arange(6).reshape(2, 3);
console.log(`x =\n${x}`);
console.log('x.T shares data:', x.T.data === x.data, '— strides', x.T.strides);
const y = tensor([[1, 0, -1]]).expand(2, 3);
console.log('y (broadcast, stride 0):', y.strides);
console.log(`x·yᵀ =\n${x.matmul(y.T)}`);
console.log(`softmax(x) =\n${x.softmax()}`);

// d/dw of mean((x·w)²) by reverse-mode autodiff
const w = parameter(tensor([[0.5], [-1], [2]]), { name: 'w' });
const loss = variable(x).matmul(w).square().mean();
loss.backward();
console.log(`loss = ${loss.item()}, ∂loss/∂w =\n${w.grad}`);
