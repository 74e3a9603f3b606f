//go:build !amd64

package kernel

const useAsm = false

func kern6x16(a *float32, lda int, b *float32, ldb int, c *float32, ldc int, n int, ka int) {
	panic("unreachable")
}
