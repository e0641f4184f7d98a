package spreadsheet

import "sync"

// prefetch reads a row source on a goroutine of its own, one batch of rows ahead of its caller,
// so that unzipping and scanning a worksheet runs beside whatever the caller does with the rows
// (an import normalises them, on another core). A batch ends after prefetchRows rows or
// prefetchText bytes of text; beside the batch its caller is reading, it holds at most one more
// (at worst one row of maxRowBytes: prefetchMemory). An error ends the rows: the rows before
// it are given first, then the error, again at every later call.
type prefetch struct {
	src     rowSource
	batches chan rowBatch
	stop    chan struct{}
	wg      sync.WaitGroup
	cur     rowBatch
	i       int
}

const (
	prefetchRows = 256
	prefetchText = 64 << 10
	// prefetchMemory is what a prefetching reader holds of the budget besides rowMemory.
	prefetchMemory = maxRowBytes
)

// rowBatch is rows read ahead with their line numbers, and the error that ended them, if any.
type rowBatch struct {
	rows  [][]string
	lines []int
	err   error
}

func newPrefetch(src rowSource) *prefetch {
	p := &prefetch{src: src, batches: make(chan rowBatch), stop: make(chan struct{})}
	p.wg.Add(1)
	go p.read()
	return p
}

// read sends batches until the source ends or fails, or close stops it.
func (p *prefetch) read() {
	defer p.wg.Done()
	for {
		var b rowBatch
		size := 0
		for len(b.rows) < prefetchRows && size < prefetchText {
			cells, line, err := p.src.next()
			if err != nil {
				b.err = err
				break
			}
			b.rows, b.lines = append(b.rows, cells), append(b.lines, line)
			for _, c := range cells {
				size += len(c)
			}
		}
		select {
		case p.batches <- b:
		case <-p.stop:
			return
		}
		if b.err != nil {
			return
		}
	}
}

func (p *prefetch) next() ([]string, int, error) {
	for p.i == len(p.cur.rows) {
		if p.cur.err != nil {
			return nil, 0, p.cur.err
		}
		p.cur, p.i = <-p.batches, 0
	}
	p.i++
	return p.cur.rows[p.i-1], p.cur.lines[p.i-1], nil
}

// close stops the reading goroutine, waits for it, and closes the source.
func (p *prefetch) close() error {
	close(p.stop)
	p.wg.Wait()
	return p.src.close()
}
