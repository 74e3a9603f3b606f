// Command vica finds the independent sources behind a multichannel time
// series with identifiable variational autoencoders.
package main

import "os"

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
