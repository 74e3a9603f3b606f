package parallel

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
)

// TestRun: every task runs once, reports arrive in full on the caller's
// goroutine (calls is not synchronised: go test -race checks that claim),
// and no more than workers tasks run at once.
func TestRun(t *testing.T) {
	const n, workers = 20, 3
	ran := make([]int, n)
	var running, most atomic.Int64
	calls := 0
	err := Run(context.Background(), n, workers, func(p int) { calls += p }, func(ctx context.Context, i int, progress func(int)) error {
		if r := running.Add(1); r > most.Load() {
			most.Store(r)
		}
		defer running.Add(-1)
		ran[i]++
		progress(1)
		progress(1)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range ran {
		if r != 1 {
			t.Errorf("task %d ran %d times", i, r)
		}
	}
	if calls != 2*n {
		t.Errorf("%d reports, want %d", calls, 2*n)
	}
	if m := most.Load(); m > workers {
		t.Errorf("%d tasks at once, want at most %d", m, workers)
	}
}

// TestRunError: a task's error is returned and stops the tasks not yet
// started; the others see their context cancelled.
func TestRunError(t *testing.T) {
	boom := errors.New("boom")
	var started atomic.Int64
	err := Run(context.Background(), 100, 2, nil, func(ctx context.Context, i int, progress func(struct{})) error {
		started.Add(1)
		if progress != nil {
			t.Error("progress without report")
		}
		if i == 3 {
			return boom
		}
		if i > 3 {
			<-ctx.Done()
			return ctx.Err()
		}
		return nil
	})
	if !errors.Is(err, boom) {
		t.Fatalf("error %v, want boom", err)
	}
	if s := started.Load(); s > 10 {
		t.Errorf("%d of 100 tasks started after the error", s)
	}
}

// TestRunCancelled: a context cancelled before any task runs gives its
// error, not a silent success with no results.
func TestRunCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ran := 0
	err := Run(ctx, 5, 2, nil, func(ctx context.Context, i int, _ func(int)) error {
		ran++
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v after %d tasks, want context.Canceled", err, ran)
	}
}
