// Package parallel runs independent tasks on a few goroutines while their
// progress reports reach the caller on its own goroutine, so that a
// caller's progress callback never needs to be safe for concurrent use.
package parallel

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
)

// Run runs task(i) for i in [0, n) on at most workers goroutines, taking
// the tasks in index order, and forwards the reports each task sends to
// its progress function to report, on the calling goroutine (report may be
// nil; progress is then nil too). After the first task error the other
// tasks are cancelled through their context and Run returns that error;
// if ctx is cancelled, Run returns ctx.Err(). Results belong in the
// caller's own slots indexed by i, so they do not depend on the order in
// which tasks finish.
func Run[P any](ctx context.Context, n, workers int, report func(P), task func(ctx context.Context, i int, progress func(P)) error) error {
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	events := make(chan P, 64)
	var send func(P)
	if report != nil {
		send = func(p P) { events <- p }
	}
	errs := make([]error, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range max(1, min(workers, n)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				if errs[i] = task(ctx, i, send); errs[i] != nil {
					cancel()
					return
				}
			}
		}()
	}
	go func() {
		wg.Wait()
		close(events)
	}()
	for e := range events {
		report(e)
	}
	for _, err := range errs {
		if err != nil && !errors.Is(err, context.Canceled) {
			return err
		}
	}
	if err := parent.Err(); err != nil {
		return err
	}
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
