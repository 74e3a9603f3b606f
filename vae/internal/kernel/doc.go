// Package kernel holds the float32 kernels at the heart of training: a
// register-blocked 6×16 AVX2/FMA matrix-product micro-kernel in Go assembly
// reading packed panels (Goto and van de Geijn 2008, "Anatomy of
// high-performance matrix multiplication"), with transposes folded into the
// packing, and AVX2 forms of the Adam step (Kingma and Ba 2015), column
// sums and leaky ReLU that give the same bits as their scalar forms. Other
// machines use plain Go.
package kernel
