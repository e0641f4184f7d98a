package store

import (
	"bytes"
	"context"
	"database/sql"
	hexenc "encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
)

// The Inserter's PostgreSQL path: rows go to the server with COPY in its text format, on the
// connection of the caller's transaction, a batch at a time, so a load of a million rows
// never holds more than a few batches in memory. A batch is sent while the caller makes the
// next one (one COPY in flight at most): the client's parsing and the server's inserting
// overlap. The rows are written straight into COPY's text (no per-value boxing and encoding
// plans, which cost more than the server's parsing of the text). COPY is part of that
// transaction: when a row fails, the transaction is aborted and rolled back with everything
// copied before it. A streaming Inserter sends all its batches in one COPY, which stays open
// until Flush: the server spends less on one COPY of a million rows than on 123 COPYs of
// 8,192 (1.5–2.1 s of CPU against 2.0–2.4 s).

// copyBatch is how many rows one COPY sends.
const copyBatch = 8192

// txConn is the connection that tx, a transaction a Tx function of db was given, runs on:
// the writer's on SQLite; on PostgreSQL the one pgTx holds for it.
func (db *DB) txConn(tx *sql.Tx) (*sql.Conn, error) {
	if db.Dialect != Postgres {
		return db.conn, nil
	}
	v, ok := db.running.Load(tx)
	if !ok || v.(*job).conn == nil {
		return nil, errors.New("store: a bulk insert or raw query outside its write transaction")
	}
	return v.(*job).conn, nil
}

// copyRows is the COPY text of the rows of the next batch, and the batch in flight.
type copyRows struct {
	sql    string // COPY … FROM STDIN
	consts []any
	tail   []byte // each row's end: the constants, then the newline
	text   []bool // per column given to add, whether it is text or bytes; nil until known
	bytea  []bool
	buf    []byte // the rows of the next batch
	rows   int
	spare  []byte     // the buffer of the batch in flight, for the batch after it
	flight chan error // the batch in flight's result (streaming: the COPY's); nil when none is
	sent   int        // rows of the batches sent and committed to the transaction

	stream  bool        // all batches in one COPY, open until Flush
	batches chan []byte // streaming: the batches the open COPY reads next; nil when none is open
	spent   chan []byte // streaming: buffers the COPY has read, for the next batches
	failed  error       // streaming: the error that ended the COPY early, once seen
}

// batchReader is the data of a streaming COPY: the batches as they are made, then the end
// when the channel is closed. The buffers it has read go back on spent.
type batchReader struct {
	batches <-chan []byte
	spent   chan<- []byte
	cur     []byte // the batch being read
	off     int    // how much of it has been read
}

func (r *batchReader) Read(p []byte) (int, error) {
	for r.off == len(r.cur) {
		if r.cur != nil { // read: its buffer can take a later batch
			select {
			case r.spent <- r.cur[:0]:
			default:
			}
			r.cur = nil
		}
		b, ok := <-r.batches
		if !ok {
			return 0, io.EOF
		}
		r.cur, r.off = b, 0
	}
	n := copy(p, r.cur[r.off:])
	r.off += n
	return n, nil
}

// columnTypes finds which columns are text and which bytes (the constants' too), to write
// values of other Go types to them as SQLite would store them (asText; a string's bytes),
// and the constants' text.
func (c *copyRows) columnTypes(ctx context.Context, conn *sql.Conn, table string, cols []string) error {
	quoted := make([]string, len(cols))
	for i, col := range cols {
		quoted[i] = Quote(col)
	}
	c.sql = "COPY " + Quote(table) + " (" + strings.Join(quoted, ", ") + ") FROM STDIN"
	return conn.Raw(func(dc any) error {
		pc, ok := dc.(*rebindConn)
		if !ok {
			return fmt.Errorf("store: COPY needs a pgx connection, not %T", dc)
		}
		sd, err := pc.Conn.Conn().Prepare(ctx, "", "SELECT "+strings.Join(quoted, ", ")+" FROM "+Quote(table))
		if err != nil {
			return err
		}
		c.text, c.bytea = make([]bool, len(cols)), make([]bool, len(cols))
		for i, f := range sd.Fields {
			switch f.DataTypeOID {
			case pgtype.TextOID, pgtype.VarcharOID:
				c.text[i] = true
			case pgtype.ByteaOID:
				c.bytea[i] = true
			}
		}
		width := len(cols) - len(c.consts)
		c.tail = c.tail[:0]
		for i, v := range c.consts {
			c.tail = append(c.tail, '\t')
			if c.tail, err = appendCopyText(c.tail, v, c.text[width+i], c.bytea[width+i]); err != nil {
				return err
			}
		}
		c.tail = append(c.tail, '\n')
		return nil
	})
}

// add writes a row into the next batch.
func (c *copyRows) add(vals []any) error {
	var err error
	for i, v := range vals {
		if i > 0 {
			c.buf = append(c.buf, '\t')
		}
		if c.buf, err = appendCopyText(c.buf, v, c.text[i], c.bytea[i]); err != nil {
			return err
		}
	}
	c.buf = append(c.buf, c.tail...)
	c.rows++
	return nil
}

// appendCopyText appends v to b as a value of COPY's text format: \N for NULL; backslash,
// tab, newline and carriage return escaped; booleans as 0/1; a number as SQLite stores it in
// a text column when the column is text (asText); bytes in bytea's hex form.
func appendCopyText(b []byte, v any, text, bytea bool) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(b, `\N`...), nil
	case string:
		if bytea {
			return hexenc.AppendEncode(append(b, `\\x`...), []byte(x)), nil
		}
		return appendEscaped(b, x), nil
	case []byte:
		if bytea {
			return hexenc.AppendEncode(append(b, `\\x`...), x), nil
		}
		return appendEscaped(b, string(x)), nil
	case bool:
		if x {
			return append(b, '1'), nil
		}
		return append(b, '0'), nil
	case int64:
		return strconv.AppendInt(b, x, 10), nil
	case int:
		return strconv.AppendInt(b, int64(x), 10), nil
	case int32:
		return strconv.AppendInt(b, int64(x), 10), nil
	case float64:
		switch {
		case math.IsNaN(x):
			return append(b, "NaN"...), nil
		case math.IsInf(x, 1):
			return append(b, "Infinity"...), nil
		case math.IsInf(x, -1):
			return append(b, "-Infinity"...), nil
		case text:
			return append(b, asText(x)...), nil
		}
		return appendNumber(b, x), nil
	case time.Time:
		return x.AppendFormat(b, time.RFC3339Nano), nil
	}
	return b, fmt.Errorf("store: COPY of a %T value", v)
}

// appendNumber appends x in decimal, for a number column. The common values — whole numbers
// and amounts in cents, below 10¹³ — are written from their integer count of cents (a fifth of
// the cost of strconv's shortest form for whole numbers, half for amounts), the rest as strconv
// writes them: both are the decimal closest to x with the fewest digits (at that size a float
// lies within 0.002 of its cents, and any other decimal of as few digits at least 0.01 away),
// so NUMERIC stores the same value, scale too.
func appendNumber(b []byte, x float64) []byte {
	if c := math.Round(x * 100); math.Abs(c) < 1e15 && c/100 == x {
		cents := int64(c)
		if cents < 0 {
			b, cents = append(b, '-'), -cents
		}
		b = strconv.AppendInt(b, cents/100, 10)
		if frac := cents % 100; frac != 0 {
			b = append(b, '.', byte('0'+frac/10))
			if frac%10 != 0 {
				b = append(b, byte('0'+frac%10))
			}
		}
		return b
	}
	return strconv.AppendFloat(b, x, 'g', -1, 64)
}

// appendEscaped appends s with COPY text's escapes.
func appendEscaped(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch ch := s[i]; ch {
		case '\\':
			b = append(b, `\\`...)
		case '\t':
			b = append(b, `\t`...)
		case '\n':
			b = append(b, `\n`...)
		case '\r':
			b = append(b, `\r`...)
		default:
			b = append(b, ch)
		}
	}
	return b
}

// asText is a number bound to a text column as SQLite stores it there (its TEXT affinity):
// 2.5 as "2.5", 5.0 as "5.0".
func asText(x float64) string {
	s := strconv.FormatFloat(x, 'g', -1, 64)
	if !strings.ContainsAny(s, ".eIN") {
		s += ".0"
	}
	return s
}

// copyOut sends the rows of the batch with one COPY, after the one in flight has finished;
// it returns once the COPY holds the connection, so the transaction's next statement runs
// after it. A streaming Inserter hands the batch to its open COPY instead (opening it first).
func (in *Inserter) copyOut() error {
	c := in.copy
	if c.stream {
		return in.stream()
	}
	if err := in.landed(); err != nil {
		return err
	}
	data, rows := c.buf, c.rows
	c.buf, c.spare, c.rows = c.spare[:0], data, 0
	in.start(bytes.NewReader(data), rows)
	c.sent += rows
	return nil
}

// start runs a COPY of r, which holds rows rows (-1: as many as were sent), on a goroutine
// whose result comes on c.flight, and returns once the COPY holds the connection.
func (in *Inserter) start(r io.Reader, rows int) {
	c := in.copy
	c.flight = make(chan error, 1)
	holding := make(chan struct{})
	go func() {
		c.flight <- in.conn.Raw(func(dc any) error {
			close(holding)
			// A background context, as on SQLite: the caller checks for cancellation between batches.
			tag, err := dc.(*rebindConn).Conn.Conn().PgConn().CopyFrom(context.Background(), r, c.sql)
			if err != nil {
				return fmt.Errorf("insert into %s: %w", in.table, err)
			}
			if rows < 0 {
				rows = c.sent // the streaming COPY has ended: nothing is sent any more
			}
			if int(tag.RowsAffected()) != rows {
				return fmt.Errorf("insert into %s: COPY took %d rows of %d", in.table, tag.RowsAffected(), rows)
			}
			return nil
		})
	}()
	select {
	case <-holding:
	case err := <-c.flight: // the connection could not be had
		c.flight <- err
	}
}

// stream hands the batch to the open COPY, opening it first. A COPY that ended early (the
// server refused a row) stops reading: its error is returned instead.
func (in *Inserter) stream() error {
	c := in.copy
	if c.failed != nil {
		return c.failed
	}
	if c.batches == nil {
		c.batches, c.spent = make(chan []byte, 1), make(chan []byte, 2)
		in.start(&batchReader{batches: c.batches, spent: c.spent}, -1)
	}
	data, rows := c.buf, c.rows
	select {
	case c.batches <- data:
	case err := <-c.flight:
		c.flight, c.batches, c.failed = nil, nil, err
		return err
	}
	select {
	case c.buf = <-c.spent:
	default:
		c.buf = nil
	}
	c.rows, c.sent = 0, c.sent+rows
	return nil
}

// landed waits for the batch in flight, if any (streaming: ends the open COPY), and returns
// its error.
func (in *Inserter) landed() error {
	c := in.copy
	if c.failed != nil {
		return c.failed
	}
	if c.batches != nil {
		close(c.batches)
		c.batches = nil
	}
	if c.flight == nil {
		return nil
	}
	err := <-c.flight
	c.flight = nil
	if err == nil {
		in.count = c.sent
	}
	return err
}
