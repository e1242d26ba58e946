/** A first look at tapegrad's tensors: views share memory, kernels return new tensors. */
import { arange, tensor } from '@tapegrad/tensor';

const x = arange(6).reshape(2, 3);
console.log('x =', x.toArray());
console.log('x.T shares data:', x.T.data === x.data, 'strides', x.T.strides);
const y = tensor([[1, 0, -1]]).expand(2, 3);
console.log('y (broadcast, stride 0):', y.strides, y.toArray());
