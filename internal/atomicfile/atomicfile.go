// Package atomicfile writes files so that a reader sees the old contents or
// the complete new ones, never a part: the data go to a temporary file in
// the same directory, which is synced, closed and renamed over the target.
// An interrupted or failed write leaves the target as it was and removes
// the temporary file.
package atomicfile

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Mode is the permission of a new file. A file that exists keeps its own.
const Mode os.FileMode = 0o644

// Write calls write with a writer to a temporary file next to path and, if
// it returns nil, renames the file to path. Errors are returned as they
// come from write or the file system (callers add the file name).
func Write(path string, write func(w io.Writer) error) (err error) {
	mode := Mode
	if st, err := os.Stat(path); err == nil {
		if st.IsDir() {
			return fmt.Errorf("is a directory")
		}
		mode = st.Mode().Perm()
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := write(tmp); err != nil {
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
