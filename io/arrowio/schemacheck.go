package arrowio

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// arrow-go (v18.8.0) trusts the lengths of the flatbuffer vectors in an
// Arrow schema and allocates them before reading their entries, so a single
// damaged length makes it ask for tens of gigabytes: Go's out-of-memory is a
// fatal error, which no recover can turn into an error. checkSchema walks the
// schema flatbuffer first and rejects any vector that does not fit in its
// buffer (each entry is at least a 4-byte offset), the vectors that
// arrow-go allocates being those of the schema's fields, their children and
// the custom metadata.
//
// The layout follows Arrow's format/Schema.fbs, File.fbs and Message.fbs.

var errSchema = errors.New("damaged schema")

// fb is a flatbuffer with bounds-checked reads.
type fb []byte

func (b fb) u32(at int) (int, error) {
	if at < 0 || at+4 > len(b) {
		return 0, errSchema
	}
	return int(binary.LittleEndian.Uint32(b[at:])), nil
}

// field returns the position of field i of the table at t, or 0 if the
// field is absent.
func (b fb) field(t, i int) (int, error) {
	if t < 0 || t+4 > len(b) {
		return 0, errSchema
	}
	vt := t - int(int32(binary.LittleEndian.Uint32(b[t:])))
	if vt < 0 || vt+4 > len(b) {
		return 0, errSchema
	}
	size := int(binary.LittleEndian.Uint16(b[vt:]))
	at := vt + 4 + 2*i
	if at+2 > vt+size {
		return 0, nil
	}
	if at+2 > len(b) {
		return 0, errSchema
	}
	off := int(binary.LittleEndian.Uint16(b[at:]))
	if off == 0 {
		return 0, nil
	}
	return t + off, nil
}

// ref follows the offset stored at p (a table, vector or string).
func (b fb) ref(p int) (int, error) {
	off, err := b.u32(p)
	if err != nil {
		return 0, err
	}
	return p + off, nil
}

// vector returns the start and length of the vector of 4-byte offsets in
// field i of table t; n is 0 when the field is absent.
func (b fb) vector(t, i int) (start, n int, err error) {
	p, err := b.field(t, i)
	if err != nil || p == 0 {
		return 0, 0, err
	}
	v, err := b.ref(p)
	if err != nil {
		return 0, 0, err
	}
	if n, err = b.u32(v); err != nil {
		return 0, 0, err
	}
	if n > (len(b)-v-4)/4 {
		return 0, 0, fmt.Errorf("%w: a vector of %d entries in %d bytes", errSchema, n, len(b))
	}
	return v + 4, n, nil
}

// table returns the table referenced by field i of table t, or 0.
func (b fb) table(t, i int) (int, error) {
	p, err := b.field(t, i)
	if err != nil || p == 0 {
		return 0, err
	}
	return b.ref(p)
}

const (
	schemaFields = 1 // Schema.fields
	schemaMeta   = 2 // Schema.custom_metadata
	fieldKids    = 5 // Field.children
	fieldMeta    = 6 // Field.custom_metadata
	footerSchema = 1 // Footer.schema
	messageType  = 1 // Message.header_type
	messageBody  = 2 // Message.header
	headerSchema = 1 // MessageHeader.Schema
	maxDepth     = 64
)

func (b fb) checkSchema(s int) error {
	if _, _, err := b.vector(s, schemaMeta); err != nil {
		return err
	}
	return b.checkFields(s, schemaFields, 0)
}

func (b fb) checkFields(t, i, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("%w: fields nested more than %d deep", errSchema, maxDepth)
	}
	start, n, err := b.vector(t, i)
	if err != nil {
		return err
	}
	for k := range n {
		f, err := b.ref(start + 4*k)
		if err != nil {
			return err
		}
		if _, _, err := b.vector(f, fieldMeta); err != nil {
			return err
		}
		if err := b.checkFields(f, fieldKids, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// checkFooter checks the schema in the footer of an IPC file of the given
// size; tail reads bytes at an offset.
func checkFooter(readAt func(p []byte, off int64) error, size int64) error {
	const trailer = 10 // int32 footer length, then "ARROW1"
	if size < int64(len(magicFile))+trailer {
		return nil // too short: arrow-go says so
	}
	var t [4]byte
	if err := readAt(t[:], size-trailer); err != nil {
		return err
	}
	n := int64(binary.LittleEndian.Uint32(t[:]))
	if n <= 0 || n > size-trailer {
		return nil // arrow-go reports a bad footer length itself
	}
	buf := make(fb, n)
	if err := readAt(buf, size-trailer-n); err != nil {
		return err
	}
	root, err := buf.u32(0)
	if err != nil {
		return err
	}
	s, err := buf.table(root, footerSchema)
	if err != nil || s == 0 {
		return err
	}
	return buf.checkSchema(s)
}

// checkMessage checks the schema in the metadata of an IPC stream's first
// message.
func checkMessage(meta fb) error {
	root, err := meta.u32(0)
	if err != nil {
		return err
	}
	p, err := meta.field(root, messageType)
	if err != nil || p == 0 {
		return err
	}
	if p >= len(meta) || meta[p] != headerSchema {
		return nil
	}
	s, err := meta.table(root, messageBody)
	if err != nil || s == 0 {
		return err
	}
	return meta.checkSchema(s)
}
