package channel_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/kizukai/kizukai/internal/channel"
	"github.com/kizukai/kizukai/internal/channel/channeltest"
)

func TestClassification(t *testing.T) {
	t.Parallel()
	base := errors.New("boom")
	tests := []struct {
		name                       string
		err                        error
		class                      channel.Class
		retryable, perm, ambiguous bool
	}{
		{"unknown counts as retryable", base, channel.ClassRetryable, true, false, false},
		{"retryable", channel.Retryable(base), channel.ClassRetryable, true, false, false},
		{"permanent", channel.Permanent(base), channel.ClassPermanent, false, true, false},
		{"ambiguous", channel.Ambiguous(base), channel.ClassAmbiguous, false, false, true},
		{"wrapped permanent", fmt.Errorf("send: %w", channel.Permanent(base)), channel.ClassPermanent, false, true, false},
		{"outermost wins", channel.Permanent(channel.Retryable(base)), channel.ClassPermanent, false, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := channel.ClassOf(tt.err); got != tt.class {
				t.Fatalf("ClassOf = %v, want %v", got, tt.class)
			}
			if channel.IsRetryable(tt.err) != tt.retryable || channel.IsPermanent(tt.err) != tt.perm || channel.IsAmbiguous(tt.err) != tt.ambiguous {
				t.Fatalf("Is* = %v %v %v", channel.IsRetryable(tt.err), channel.IsPermanent(tt.err), channel.IsAmbiguous(tt.err))
			}
			if !errors.Is(tt.err, base) || tt.err.Error() != "boom" && tt.err.Error() != "send: boom" {
				t.Fatalf("wrapping lost the cause or changed the text: %q", tt.err)
			}
		})
	}
	if channel.Retryable(nil) != nil || channel.Permanent(nil) != nil || channel.Ambiguous(nil) != nil {
		t.Fatal("classifying nil gave an error")
	}
	if channel.IsRetryable(nil) || channel.IsPermanent(nil) || channel.IsAmbiguous(nil) {
		t.Fatal("nil is classified")
	}
}

func TestSafeToRetry(t *testing.T) {
	t.Parallel()
	dedupes, plain := channeltest.NewRecorder("a", true), channeltest.NewRecorder("b", false)
	tests := []struct {
		name string
		s    channel.Sender
		err  error
		want bool
	}{
		{"nil", plain, nil, false},
		{"retryable", plain, channeltest.ErrRetryable, true},
		{"permanent", dedupes, channeltest.ErrPermanent, false},
		{"ambiguous, dedupes", dedupes, channeltest.ErrAmbiguous, true},
		{"ambiguous, no dedupe", plain, channeltest.ErrAmbiguous, false},
		{"unclassified", plain, context.DeadlineExceeded, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := channel.SafeToRetry(tt.s, tt.err); got != tt.want {
				t.Fatalf("SafeToRetry = %v, want %v", got, tt.want)
			}
		})
	}
}
