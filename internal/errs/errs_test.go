package errs

import (
	"errors"
	"fmt"
	"testing"
)

func TestCategories(t *testing.T) {
	t.Parallel()
	err := fmt.Errorf("load customer: %w", NotFound("customer_not_found", "customer not found"))
	if !errors.Is(err, ErrNotFound) || errors.Is(err, ErrConflict) {
		t.Fatalf("errors.Is does not see the category of %v", err)
	}
	var e *Error
	if !errors.As(err, &e) || e.Code != "customer_not_found" {
		t.Fatalf("errors.As = %v", e)
	}
}

func TestFields(t *testing.T) {
	t.Parallel()
	var f Fields
	if f.Err() != nil {
		t.Fatal("empty fields gave an error")
	}
	f.Add("phone", "not a phone number")
	f.Add("phone", "second problem is dropped")
	f.Merge("customer.", Fields{"email": "bad"})
	err := f.Err()
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("not invalid: %v", err)
	}
	want := "validation_failed: some fields are invalid (customer.email: bad; phone: not a phone number)"
	if err.Error() != want {
		t.Fatalf("Error() = %q, want %q", err.Error(), want)
	}
}
