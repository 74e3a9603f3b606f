package vae

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"math"
)

// The model file: magic, format version (uint32), header length (uint32),
// a JSON header, the parameters as little-endian float64, and the CRC-32
// (IEEE) of everything before it. All integers are little-endian.
const (
	fileMagic   = "VICAVAE\x00"
	fileVersion = 1
	// maxHeader bounds the JSON header so that a corrupted length cannot
	// ask for gigabytes.
	maxHeader = 1 << 20
)

type fileHeader struct {
	Dim      int      `json:"dim"`
	Params   int      `json:"params"`
	Settings Settings `json:"settings"`
}

// Save writes the model in vae's versioned, checksummed binary format.
func (m *Model) Save(w io.Writer) error {
	hdr, err := json.Marshal(fileHeader{Dim: m.dim, Params: len(m.p64), Settings: m.s})
	if err != nil {
		return fmt.Errorf("vae: save: %w", err)
	}
	var buf bytes.Buffer
	buf.WriteString(fileMagic)
	binary.Write(&buf, binary.LittleEndian, uint32(fileVersion))
	binary.Write(&buf, binary.LittleEndian, uint32(len(hdr)))
	buf.Write(hdr)
	b := make([]byte, 8*len(m.p64))
	for i, v := range m.p64 {
		binary.LittleEndian.PutUint64(b[8*i:], math.Float64bits(v))
	}
	buf.Write(b)
	binary.Write(&buf, binary.LittleEndian, crc32.ChecksumIEEE(buf.Bytes()))
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("vae: save: %w", err)
	}
	return nil
}

// Load reads a model written by Save. A file that is not a model, is
// truncated, fails its checksum or comes from a newer version gives an error
// wrapping ErrFormat, ErrTruncated, ErrChecksum or ErrVersion.
func Load(r io.Reader) (*Model, error) {
	head := make([]byte, len(fileMagic)+8)
	if n, err := io.ReadFull(r, head); err != nil {
		k := min(n, len(fileMagic))
		if n > 0 && string(head[:k]) == fileMagic[:k] {
			return nil, fmt.Errorf("%w: %d bytes", ErrTruncated, n)
		}
		return nil, ErrFormat
	}
	if string(head[:len(fileMagic)]) != fileMagic {
		return nil, ErrFormat
	}
	version := binary.LittleEndian.Uint32(head[len(fileMagic):])
	if version > fileVersion {
		return nil, fmt.Errorf("%w: version %d, this program reads up to %d", ErrVersion, version, fileVersion)
	}
	if version == 0 {
		return nil, fmt.Errorf("%w: version 0", ErrFormat)
	}
	hlen := binary.LittleEndian.Uint32(head[len(fileMagic)+4:])
	if hlen > maxHeader {
		return nil, fmt.Errorf("%w: header length %d", ErrChecksum, hlen)
	}
	hdr := make([]byte, hlen)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return nil, fmt.Errorf("%w: in the header", ErrTruncated)
	}
	var h fileHeader
	if err := json.Unmarshal(hdr, &h); err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrChecksum, err)
	}
	s, err := resolve(&h.Settings, h.Dim)
	if err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrChecksum, err)
	}
	lay := newLayout(&s, h.Dim)
	if lay.size != h.Params {
		return nil, fmt.Errorf("%w: header says %d parameters, settings give %d", ErrChecksum, h.Params, lay.size)
	}
	body := make([]byte, 8*lay.size+4)
	if n, err := io.ReadFull(r, body); err != nil {
		return nil, fmt.Errorf("%w: %d of %d parameter bytes", ErrTruncated, n, len(body))
	}
	crc := crc32.NewIEEE()
	crc.Write(head)
	crc.Write(hdr)
	crc.Write(body[:8*lay.size])
	if crc.Sum32() != binary.LittleEndian.Uint32(body[8*lay.size:]) {
		return nil, ErrChecksum
	}
	p := make([]float64, lay.size)
	for i := range p {
		p[i] = math.Float64frombits(binary.LittleEndian.Uint64(body[8*i:]))
	}
	m := &Model{s: s, dim: h.Dim, lay: lay}
	m.setParams(p)
	return m, nil
}
