//go:build !amd64

package kernel

const useAsm = false

func kern6x16(a *float32, lda int, b *float32, ldb int, c *float32, ldc int, n int, ka int) {
	panic("unreachable")
}

func adam8(p, g, m, v *float32, n int, k *AdamConsts) { panic("unreachable") }

func colsum32(dst, a *float32, rows, stride int) { panic("unreachable") }

func leaky8(c *float32, n int, slope float32) { panic("unreachable") }

func leakyDeriv8(d, h *float32, n int, f float32) { panic("unreachable") }
