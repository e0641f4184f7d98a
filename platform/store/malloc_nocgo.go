//go:build !cgo

package store

// keepFreedMemory does nothing without cgo (see malloc.go).
func keepFreedMemory() {}
