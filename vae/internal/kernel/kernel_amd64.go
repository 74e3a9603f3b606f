package kernel

import "golang.org/x/sys/cpu"

var useAsm = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// kern6x16 sets the 6×16 block at c (row stride ldc) to the product of the
// 6×n block at a (element (i, k) at a[i*lda + k*ka]) and the n×16 block at b
// (row stride ldb).
//
//go:noescape
func kern6x16(a *float32, lda int, b *float32, ldb int, c *float32, ldc int, n int, ka int)

// adam8 is Adam for n a positive multiple of 8.
//
//go:noescape
func adam8(par, grad, mom, vel *float32, n int, k *AdamConsts)

// colsum32 is ColSum for 32 columns.
//
//go:noescape
func colsum32(dst, a *float32, rows, stride int)

// leaky8 is Leaky for n a positive multiple of 8.
//
//go:noescape
func leaky8(c *float32, n int, slope float32)

// leakyDeriv8 is LeakyDeriv for n a positive multiple of 8.
//
//go:noescape
func leakyDeriv8(d, h *float32, n int, f float32)
