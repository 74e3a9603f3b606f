// Command vica finds the independent sources behind a multichannel time
// series with identifiable variational autoencoders.
//
// # Commands
//
//	vica fit FILE          estimate the number of sources, unmix, keep the model
//	vica count FILE        the number of sources, alone on stdout
//	vica transform M FILE  the sources of new data with a saved model
//	vica describe FILE     what is in a recording
//	vica convert IN OUT    CSV, Arrow and Parquet, by extension
//	vica simulate -o OUT   data with known sources
//	vica eval              MCC of estimated against true sources
//	vica bench             training throughput
//
// Data goes to stdout or the named output file; messages and progress to
// stderr. Exit codes: 0 success, 1 failure (bad data, I/O, an interrupt),
// 2 usage. `vica help COMMAND` describes each command and its flags.
package main
