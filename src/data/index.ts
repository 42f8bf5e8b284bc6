/** Data loading: IDX/MNIST readers and resumable batch iterators (see docs/cli.md). */
export * from './idx.js';
export * from './mnist.js';
export * from './batches.js';
