//go:build !cgo

package store

// tuneNative does nothing without cgo (see native.go).
func tuneNative() {}
