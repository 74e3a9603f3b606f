package ica

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"

	"github.com/vica-dev/vica/timeseries"
	"github.com/vica-dev/vica/vae"
)

// The model file: magic, format version (uint32), header length (uint32), a
// JSON header, the length (uint64) and bytes of the VAE in vae's own format,
// and the CRC-32 (IEEE) of everything before it. Integers are
// little-endian.
const (
	fileMagic   = "VICAICA\x00"
	fileVersion = 1
	maxHeader   = 64 << 20
	maxNet      = 1 << 34
)

// fileHeader is everything but the network. Settings keeps only what
// Transform and Summary need.
type fileHeader struct {
	Channels      []string          `json:"channels"`
	Dropped       []Dropped         `json:"dropped"`
	Scaler        timeseries.Scaler `json:"scaler"`
	Whiten        []float64         `json:"whiten"`
	Window        int               `json:"window"`
	Stride        int               `json:"stride"`
	SegmentLength int               `json:"segment_length"`
	SegmentColumn string            `json:"segment_column"`
	Segments      int               `json:"segments"`
	Labels        []string          `json:"labels"`
	StandardPrior bool              `json:"standard_prior"`
	Sources       int               `json:"sources"`
	Components    []Component       `json:"components"`
	Center        []float64         `json:"center"`
	Scale         []float64         `json:"scale"`
	Active        int               `json:"active"`
	Restarts      []Restart         `json:"restarts"`
	Best          int               `json:"best"`
	Seed          uint64            `json:"seed"`
	TrainRows     int               `json:"train_rows"`
	ValidRows     int               `json:"valid_rows"`
}

// Save writes the model in a versioned, checksummed binary format.
func (m *Model) Save(w io.Writer) error {
	h := fileHeader{
		Channels: m.channels, Dropped: m.dropped, Scaler: *m.scaler, Whiten: m.whiten,
		Window: m.settings.Window, Stride: m.settings.Stride, SegmentLength: m.settings.SegmentLength,
		SegmentColumn: m.settings.SegmentColumn, Segments: m.segments, Labels: m.labels,
		StandardPrior: m.settings.StandardPrior, Sources: m.settings.Sources,
		Components: m.comps, Center: m.center, Scale: m.scale, Active: m.active,
		Restarts: m.restarts, Best: m.best, Seed: m.settings.Seed,
		TrainRows: m.trainRows, ValidRows: m.validRows,
	}
	hdr, err := json.Marshal(h)
	if err != nil {
		return fmt.Errorf("ica: save: %w", err)
	}
	var net bytes.Buffer
	if err := m.net.Save(&net); err != nil {
		return fmt.Errorf("ica: save: %w", err)
	}
	var buf bytes.Buffer
	buf.WriteString(fileMagic)
	binary.Write(&buf, binary.LittleEndian, uint32(fileVersion))
	binary.Write(&buf, binary.LittleEndian, uint32(len(hdr)))
	buf.Write(hdr)
	binary.Write(&buf, binary.LittleEndian, uint64(net.Len()))
	buf.Write(net.Bytes())
	binary.Write(&buf, binary.LittleEndian, crc32.ChecksumIEEE(buf.Bytes()))
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("ica: save: %w", err)
	}
	return nil
}

// Load reads a model written by Save. A file that is not a model, is
// truncated, fails its checksum or comes from a newer version gives an
// error wrapping ErrFormat, ErrTruncated, ErrChecksum or ErrVersion.
func Load(r io.Reader) (*Model, error) {
	all, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("ica: load: %w", err)
	}
	head := len(fileMagic) + 8
	if len(all) < head {
		k := min(len(all), len(fileMagic))
		if len(all) > 0 && string(all[:k]) == fileMagic[:k] {
			return nil, fmt.Errorf("%w: %d bytes", ErrTruncated, len(all))
		}
		return nil, ErrFormat
	}
	if string(all[:len(fileMagic)]) != fileMagic {
		return nil, ErrFormat
	}
	version := binary.LittleEndian.Uint32(all[len(fileMagic):])
	if version > fileVersion {
		return nil, fmt.Errorf("%w: version %d, this program reads up to %d", ErrVersion, version, fileVersion)
	}
	if version == 0 {
		return nil, fmt.Errorf("%w: version 0", ErrFormat)
	}
	hlen := uint64(binary.LittleEndian.Uint32(all[len(fileMagic)+4:]))
	if hlen > maxHeader {
		return nil, fmt.Errorf("%w: header length %d", ErrChecksum, hlen)
	}
	if uint64(len(all)) < uint64(head)+hlen+8 {
		return nil, fmt.Errorf("%w: %d bytes", ErrTruncated, len(all))
	}
	nlen := binary.LittleEndian.Uint64(all[uint64(head)+hlen:])
	if nlen > maxNet {
		return nil, fmt.Errorf("%w: network length %d", ErrChecksum, nlen)
	}
	end := uint64(head) + hlen + 8 + nlen
	if uint64(len(all)) < end+4 {
		return nil, fmt.Errorf("%w: %d bytes, expected %d", ErrTruncated, len(all), end+4)
	}
	if crc32.ChecksumIEEE(all[:end]) != binary.LittleEndian.Uint32(all[end:]) {
		return nil, ErrChecksum
	}
	var h fileHeader
	if err := json.Unmarshal(all[head:uint64(head)+hlen], &h); err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrFormat, err)
	}
	net, err := vae.Load(bytes.NewReader(all[uint64(head)+hlen+8 : end]))
	if err != nil {
		return nil, fmt.Errorf("ica: load: %w", err)
	}
	D := len(h.Channels)
	K := net.Latent()
	switch {
	case D == 0 || net.Dim() != D*h.Window:
		return nil, fmt.Errorf("%w: %d channels and window %d for a network of %d inputs", ErrFormat, D, h.Window, net.Dim())
	case h.Whiten != nil && len(h.Whiten) != D*D:
		return nil, fmt.Errorf("%w: whitening matrix of %d values for %d channels", ErrFormat, len(h.Whiten), D)
	case len(h.Components) != K || len(h.Center) != K || len(h.Scale) != K || h.Active < 1 || h.Active > K:
		return nil, fmt.Errorf("%w: %d components, %d active, for %d latents", ErrFormat, len(h.Components), h.Active, K)
	}
	for _, c := range h.Components {
		if c.Latent < 0 || c.Latent >= K {
			return nil, fmt.Errorf("%w: component %q has latent %d", ErrFormat, c.Name, c.Latent)
		}
	}
	sc := h.Scaler
	m := &Model{
		channels: h.Channels, dropped: h.Dropped, scaler: &sc, whiten: h.Whiten,
		settings: Settings{Sources: h.Sources, Window: h.Window, Stride: h.Stride, SegmentLength: h.SegmentLength,
			SegmentColumn: h.SegmentColumn, StandardPrior: h.StandardPrior, Seed: h.Seed, Restarts: len(h.Restarts),
			NoWhiten: h.Whiten == nil, DiagonalPosterior: !net.Settings().FullCovariance},
		segments: h.Segments, labels: h.Labels, net: net, comps: h.Components, center: h.Center, scale: h.Scale,
		active: h.Active, restarts: h.Restarts, best: h.Best, trainRows: h.TrainRows, validRows: h.ValidRows,
	}
	return m, nil
}

// SaveFile writes the model to path through a temporary file in the same
// directory and a rename, so that path never holds half a model.
func (m *Model) SaveFile(path string) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("ica: save %q: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err = m.Save(tmp); err != nil {
		return fmt.Errorf("%w (writing %q)", err, path)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("ica: save %q: %w", path, err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("ica: save %q: %w", path, err)
	}
	return nil
}

// LoadFile reads a model written by SaveFile or Save.
func LoadFile(path string) (*Model, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("ica: load: %w", err)
	}
	defer f.Close()
	m, err := Load(f)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			return nil, err
		}
		return nil, fmt.Errorf("%w (reading %q)", err, path)
	}
	return m, nil
}
