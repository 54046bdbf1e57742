/** Class names of the bundled datasets, indexed by label. */

export type DatasetName = 'mnist' | 'fashion-mnist';

export const MNIST_CLASSES: readonly string[] = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

export const FASHION_MNIST_CLASSES: readonly string[] = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];

export const CLASS_NAMES: Record<DatasetName, readonly string[]> = {
  mnist: MNIST_CLASSES,
  'fashion-mnist': FASHION_MNIST_CLASSES,
};
