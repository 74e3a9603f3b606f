// Package arrowio reads and writes [timeseries.Frame] values as Arrow IPC
// (file and stream) and Parquet files.
//
// # Formats
//
// The format of a file to write comes from its extension ([FormatOf]):
//
//	.arrow, .feather   Arrow IPC file format (Feather v2 is this format)
//	.arrows, .ipc      Arrow IPC stream format
//	.parquet           Parquet, through arrow-go's pqarrow
//
// Extensions are matched without regard to case. When reading, the content
// decides: an IPC file starts with the magic bytes "ARROW1", a Parquet file
// with "PAR1", and an IPC stream with a continuation marker; the extension is
// only a fallback for content that matches none of them (which then fails
// with the decoder's error). A .ipc file holding the file format therefore
// reads correctly.
//
// # Reading
//
// Float32, float64 (and float16) columns and integer columns of every width
// become float64 channels; integers beyond ±2^53 lose precision as float64
// does. Nulls become NaN, vica's missing value; a column of Arrow's null type
// is an all-missing channel. A timestamp column (any unit, with or without a
// time zone) or a date column becomes the time index, as Unix nanoseconds in
// UTC; a numeric column named in [ReadOptions.TimeColumn], or in the schema
// metadata [IndexKey] that [Write] records, becomes a number index. The time index must be strictly increasing and have no nulls.
// Other columns (strings, booleans, decimals, nested types) are an error that
// names them, or are skipped and listed in [Info.Skipped] with
// [NonNumericSkip].
//
// Record batches are read one at a time (the IPC reader's Next loop,
// pqarrow's record reader with [ReadOptions.BatchSize] rows) and their
// values appended into one row-major slice, so the reader never holds a
// table of copies of the file.
//
// # Writing
//
// Channels are written as nullable float64 columns, with NaN written as
// null, so missing values round-trip as missing. A consequence is that a
// genuine IEEE NaN and a missing value are the same thing in vica: both are
// read back as NaN. A time index is written first, as timestamp[ns, UTC] for
// timestamps or float64 for numbers, under [timeseries.Index.Name] ("time"
// when empty). [WriteFile] writes to a temporary file in the destination
// directory and renames it into place, so a failure never leaves a
// half-written file.
//
// Parquet is written with zstd compression by default. Besides being small,
// every zstd frame carries a checksum that the Parquet reader verifies, so
// corrupted pages are detected on read. Uncompressed Parquet and Arrow IPC
// (compressed or not: arrow-go's IPC reader stops before a zstd frame's
// checksum) have no checksums, so a flipped bit inside the values of such a
// file cannot be detected, while truncation and most damage to their
// structure (magic bytes, message lengths, footers) is. An IPC stream must
// end with its end-of-stream marker, so a stream cut between two messages is
// reported as truncated rather than read short.
//
// # Corrupt input
//
// Damaged input gives an error wrapping [ErrCorrupt] that names the file.
// arrow-go validates most of what it reads, but some corrupt inputs make it
// panic. As a last resort every exported function recovers such a panic at
// the package boundary and returns it as an error wrapping [ErrCorrupt]; no
// panic escapes to the caller.
//
// Some damage would make arrow-go allocate without bound, and Go's
// out-of-memory is fatal, beyond any recover. So the reader bounds every IPC
// message by the file's size (a stream of unknown size: 1 GiB per message
// body), and checks the vector lengths of the Arrow schema (in an IPC file's
// footer, a stream's first message, or a Parquet file's ARROW:schema) before
// arrow-go decodes it. Fuzzing (FuzzRead) found both cases.
package arrowio
