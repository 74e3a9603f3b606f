// Package csvio reads CSV files into [timeseries.Frame] values and writes
// them back, streaming, with errors that say where the data is wrong.
//
// # Reading
//
// [Read] and [ReadFile] expect a header row. Unless set by options, they
// detect from the header and the first data lines (the detection sample:
// the records in the first megabyte, at most 10,000):
//
//   - the delimiter, among ',', ';' and tab (the most frequent in the header);
//   - a decimal comma (1,5), with the ';' or tab delimiter only;
//   - the time column (below).
//
// Missing values are empty fields, the tokens of [DefaultMissing] (or those
// given with [WithMissing]), NaN, and the number given with [WithSentinel].
// Infinite values and numbers beyond the float64 range are errors. Spaces
// around unquoted fields are ignored; quoted fields follow RFC 4180 and may
// hold delimiters, quotes written "" and newlines. Blank lines are skipped.
// Numbers parse to exactly the float64 that [strconv.ParseFloat] gives.
//
// # The time column
//
// Without [WithTimeColumn], [WithDateTimeColumns] or [WithNoTimeColumn], the
// first column is the time column when its name is time, timestamp, date,
// datetime, time_s or t (in any case), or when its first value is a date.
// The time column then holds:
//
//   - dates, optionally with a time of day: yyyy-mm-dd, dd/mm/yyyy or
//     mm/dd/yyyy ('.' or '-' may replace '/'), then 'T' or a space and
//     hh:mm[:ss[.fraction]], and for ISO 8601 dates an optional zone (Z,
//     +hh:mm); times without a zone are taken as UTC. The frame gets a
//     TimeIndex. Day-first and month-first dates are told apart by a day
//     above 12 in the sample; when none occurs, or both orders occur, Read
//     fails with [ErrAmbiguousDate] instead of guessing: set
//     [WithDateFormat].
//   - a date only, followed by a column holding times of day (hh:mm:ss, or
//     hh.mm.ss): the two make one TimeIndex, named "Date Time" after both
//     columns, as in the UCI air quality data.
//   - numbers: Unix seconds (a TimeIndex) when the column is named
//     timestamp, or its name contains unix or epoch, and the sample values
//     are whole numbers; otherwise plain numbers such as seconds since the
//     start (a NumberIndex).
//
// Times must be strictly increasing: a repeated or earlier time is an error
// naming its line and the line before.
//
// # Non-numeric columns
//
// A column whose sample values are not numbers makes Read fail, naming all
// such columns and the first offending value, unless [WithNonNumeric]
// ([SkipNonNumeric]) leaves them out (listed in [Info.Warnings]), or
// [WithColumns] chooses the columns to read. A non-numeric value after the
// sample is an error at its line.
//
// # Errors
//
// Every error from [Read] is a *[ParseError] carrying the file, line, column
// and column name, and wrapping one of the ErrX values:
//
//	csvio: "sensors.csv" line 17, column 4 ("NOx_GT"): parse "abc": not a number; ...
//
// # Writing
//
// [Write] writes the time column first (RFC 3339 in UTC for timestamps, the
// shortest round-trip text for numbers), then the channels, with missing
// values as empty fields; what it writes reads back bit for bit.
// [WriteFile] writes to a temporary file renamed into place.
//
// # Speed and memory
//
// The reader tokenizes blocks of 1 MB by hand and parses simple decimals
// without strconv when the result is exact, so it allocates nothing per
// row. Values go into one []float64 sized from the file size and the bytes
// per row of the first block, so that a file is usually read with one
// allocation of its data; otherwise in chunks joined at the end (at most
// about twice the data). To compare with pandas:
//
//	go run ./io/csvio/internal/benchcsv -gen -rows 1000000 -cols 12 -out /tmp/bench.csv
//	go run ./io/csvio/internal/benchcsv -read /tmp/bench.csv
//	/usr/bin/python3 io/csvio/bench_pandas.py /tmp/bench.csv
package csvio
