package arrowio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/ipc"
)

// TestCheckSchema damages the length of each vector that arrow-go
// allocates up front (found with the same walker) in a real schema
// message; each must be refused before arrow-go sees it.
func TestCheckSchema(t *testing.T) {
	md := arrow.NewMetadata([]string{"k"}, []string{"v"})
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "a", Type: arrow.PrimitiveTypes.Float64, Metadata: md},
		{Name: "s", Type: arrow.StructOf(arrow.Field{Name: "x", Type: arrow.PrimitiveTypes.Int8})},
	}, &md)
	var buf bytes.Buffer
	w := ipc.NewWriter(&buf, ipc.WithSchema(schema))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	stream := buf.Bytes()
	if err := checkSchemaMessage(stream); err != nil {
		t.Fatalf("valid schema refused: %v", err)
	}
	n, skip := messageLength(stream)
	meta := fb(stream[skip : skip+n])
	root, _ := meta.u32(0)
	s, err := meta.table(root, messageBody)
	if err != nil || s == 0 {
		t.Fatalf("no schema table: %v", err)
	}
	fieldsAt, _, _ := meta.vector(s, schemaFields)
	first, _ := meta.ref(fieldsAt)
	second, _ := meta.ref(fieldsAt + 4)
	vectors := []struct {
		name  string
		table int
		field int
	}{
		{"schema fields", s, schemaFields},
		{"schema metadata", s, schemaMeta},
		{"field metadata", first, fieldMeta},
		{"field children", second, fieldKids},
	}
	for _, v := range vectors {
		p, err := meta.field(v.table, v.field)
		if err != nil || p == 0 {
			t.Fatalf("%s: not found (%v)", v.name, err)
		}
		at, _ := meta.ref(p)
		bad := bytes.Clone(stream)
		binary.LittleEndian.PutUint32(bad[skip+at:], 0x7fff_ffff)
		if err := checkSchemaMessage(bad); !errors.Is(err, errSchema) {
			t.Errorf("%s: damaged length gives %v, want errSchema", v.name, err)
		}
		if _, _, err := Read(bytes.NewReader(bad), nil); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: Read gives %v, want ErrCorrupt", v.name, err)
		}
	}
}
