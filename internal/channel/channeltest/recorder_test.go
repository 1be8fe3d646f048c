package channeltest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/kizukai/kizukai/internal/channel"
)

func TestRecorderScript(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name            string
		dedupes         bool
		script          []error
		wantDeliveries  int
		wantErrs        []channel.Class
		wantLastSuccess bool
	}{
		{"success", true, nil, 1, nil, true},
		{"retryable then success", true, []error{ErrRetryable}, 1, []channel.Class{channel.ClassRetryable}, true},
		{"permanent", true, []error{ErrPermanent}, 0, []channel.Class{channel.ClassPermanent}, false},
		{"ambiguous then retry, deduped", true, []error{ErrAmbiguous}, 1, []channel.Class{channel.ClassAmbiguous}, true},
		{"ambiguous then retry, not deduped", false, []error{ErrAmbiguous}, 2, []channel.Class{channel.ClassAmbiguous}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := NewRecorder("fake", tt.dedupes)
			r.FailID("msg_1", tt.script...)
			m := channel.Message{ID: "msg_1", Text: "hi"}
			var err error
			for i := range len(tt.script) + 1 {
				_, err = r.Send(context.Background(), m)
				if i < len(tt.wantErrs) {
					if err == nil || channel.ClassOf(err) != tt.wantErrs[i] {
						t.Fatalf("send %d: err %v, want class %v", i, err, tt.wantErrs[i])
					}
				}
				if channel.IsPermanent(err) {
					break
				}
			}
			if (err == nil) != tt.wantLastSuccess {
				t.Fatalf("last err = %v", err)
			}
			if got := r.Deliveries("msg_1"); got != tt.wantDeliveries {
				t.Fatalf("deliveries = %d, want %d", got, tt.wantDeliveries)
			}
		})
	}
}

func TestRecorderGlobalScriptAndWait(t *testing.T) {
	t.Parallel()
	r := NewRecorder("fake", false)
	r.Fail(ErrRetryable, nil)
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	for _, id := range []string{"a", "b", "c"} {
		wg.Go(func() {
			_, err := r.Send(context.Background(), channel.Message{ID: id})
			errs <- err
		})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := r.Wait(ctx, 2); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	close(errs)
	failed := 0
	for err := range errs {
		if err != nil {
			failed++
		}
	}
	if failed != 1 || len(r.Attempts()) != 3 || len(r.Delivered()) != 2 {
		t.Fatalf("failed=%d attempts=%d delivered=%d", failed, len(r.Attempts()), len(r.Delivered()))
	}
}

func TestRecorderHookAndCancel(t *testing.T) {
	t.Parallel()
	r := NewRecorder("fake", true)
	release := make(chan struct{})
	r.SetHook(func(ctx context.Context, m channel.Message) error {
		select {
		case <-release:
			return nil
		case <-ctx.Done():
			return channel.Retryable(ctx.Err())
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := r.Send(ctx, channel.Message{ID: "x"})
		done <- err
	}()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) || !channel.IsRetryable(err) {
		t.Fatalf("err = %v", err)
	}
	close(release)
	if _, err := r.Send(context.Background(), channel.Message{ID: "x"}); err != nil {
		t.Fatal(err)
	}
	if r.Deliveries("x") != 1 || len(r.Attempts()) != 2 {
		t.Fatalf("deliveries %d attempts %d", r.Deliveries("x"), len(r.Attempts()))
	}
	wctx, wcancel := context.WithTimeout(context.Background(), time.Millisecond)
	defer wcancel()
	if err := r.Wait(wctx, 5); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Wait = %v", err)
	}
}
