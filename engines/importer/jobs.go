package importer

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"log"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"tierbase/core/access"
	"tierbase/core/schema"
	"tierbase/platform/problem"
	"tierbase/platform/spreadsheet"
)

// Jobs keeps the uploads and background imports of a server: upload a file, look at its
// preview and proposed mapping, start the import, follow its progress, fetch its report.
type Jobs struct {
	Dir      string // where uploads wait for their import
	Importer *Importer
	// Memory is the budget shared by all the files being read — inspected at upload or
	// imported; nil means one of DefaultUploadMemory, made on first use.
	Memory *spreadsheet.Budget
	mu     sync.Mutex
	jobs   map[string]*Job
}

// DefaultUploadMemory is the memory a server lets the files being read take at once: a
// customer file of a million rows needs a few tens of megabytes; an XLSX "zip bomb" whose
// shared strings inflate to a gigabyte is refused with a 413.
const DefaultUploadMemory = 512 << 20

// Job is one uploaded file and its import.
type Job struct {
	ID       string     `json:"id"`
	FileName string     `json:"fileName"`
	Sheet    string     `json:"sheet,omitempty"`
	Header   []string   `json:"header"`
	Preview  [][]string `json:"preview"`
	Lines    []int      `json:"lines"`   // the preview rows' numbers as a spreadsheet program shows them
	Columns  []Column   `json:"columns"` // proposed types
	Rows     int        `json:"rows"`    // data rows in the file

	path     string
	by       int64 // the uploader: only they and admins see the job
	memory   *spreadsheet.Budget
	table    *schema.Table // where the rows go, once started
	read     atomic.Int64
	mu       sync.Mutex
	state    string // uploaded, running, done, failed
	result   *Result
	err      error
	finished time.Time
}

// PreviewRows is how many rows an upload shows before the import; InferRows how many it
// looks at to propose field types (the rest are only counted, to keep uploads quick).
const (
	PreviewRows = 20
	InferRows   = 20000
)

func init() {
	problem.AddMessage("import_started", "这个导入已经开始了", "this import has already started")
}

// keep is how long a finished job (and its report) stays available.
const keep = time.Hour

// Upload saves a file the actor uploads (which needs the import action on some table, or the
// right to create tables), reads it once to propose field types and to count its rows, and
// returns the job waiting to be started.
func (js *Jobs) Upload(a access.Actor, r io.Reader, name, sheet string) (*Job, error) {
	if err := access.CanSomewhere(a, access.ImportRows); err != nil && a.MayChangeSchema() != nil {
		return nil, err
	}
	if err := os.MkdirAll(js.Dir, 0o750); err != nil {
		return nil, err
	}
	id := newID()
	path := filepath.Join(js.Dir, id+filepath.Ext(name))
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		os.Remove(path)
		return nil, err
	}
	f.Close()
	j := &Job{ID: id, FileName: filepath.Base(name), Sheet: sheet, path: path, by: a.UserID, memory: js.budget(), state: "uploaded"}
	if err := j.inspect(); err != nil {
		os.Remove(path)
		if problem.As(err) != nil {
			return nil, err
		}
		// Speak of the user's file, not of our copy of it.
		return nil, errors.New(strings.ReplaceAll(err.Error(), filepath.Base(path), j.FileName))
	}
	if max := schema.MaxFields(js.Importer.DB.Dialect); len(j.Header) > max {
		os.Remove(path)
		return nil, problem.Invalid("file_too_wide", "count", len(j.Header), "max", max)
	}
	js.mu.Lock()
	if js.jobs == nil {
		js.jobs = map[string]*Job{}
	}
	js.jobs[id] = j
	js.sweep()
	js.mu.Unlock()
	return j, nil
}

// budget returns the jobs' memory budget, made on first use.
func (js *Jobs) budget() *spreadsheet.Budget {
	js.mu.Lock()
	defer js.mu.Unlock()
	if js.Memory == nil {
		js.Memory = spreadsheet.NewBudget(DefaultUploadMemory)
	}
	return js.Memory
}

func (j *Job) open() (Source, error) {
	return spreadsheet.Open(j.path, spreadsheet.Options{Sheet: j.Sheet, Budget: j.memory})
}

func init() {
	problem.AddMessage("file_too_wide", "文件有 {count} 列，而一张表最多 {max} 个字段：请删去用不到的列，或分成几个文件导入",
		"the file has {count} columns, but a table holds at most {max} fields; delete the columns you do not need, or import it as several files")
}

func (j *Job) inspect() error {
	src, err := j.open()
	if err != nil {
		return err
	}
	j.Header = src.Header()
	preview := &previewSource{Source: src}
	j.Columns, j.Rows, err = Infer(preview, InferRows)
	src.Close()
	j.Preview, j.Lines = preview.rows, preview.lines
	if j.Preview == nil {
		j.Preview, j.Lines = [][]string{}, []int{}
	}
	return err
}

// previewSource keeps the first rows that pass through it, with their row numbers.
type previewSource struct {
	Source
	rows  [][]string
	lines []int
}

func (p *previewSource) Next() ([]string, error) {
	row, err := p.Source.Next()
	if err == nil && len(p.rows) < PreviewRows {
		p.rows = append(p.rows, row)
		p.lines = append(p.lines, p.Source.Line())
	}
	return row, err
}

// Get returns a job by id that the actor may follow (its progress, result and report): their
// own uploads, or any for admins. Others' jobs are not found, as if they did not exist.
func (js *Jobs) Get(a access.Actor, id string) (*Job, error) {
	js.mu.Lock()
	j := js.jobs[id]
	js.mu.Unlock()
	if j == nil || !access.OwnWork(a, j.by) {
		return nil, problem.NotFound("import", id)
	}
	return j, nil
}

// Start runs the import in the background, as the actor. A job starts once. Run asks the
// policy again, but a refusal is answered here at once rather than as a failed job.
func (js *Jobs) Start(j *Job, a access.Actor, t *schema.Table, plan Plan) error {
	if err := mayImport(a, t, plan); err != nil {
		return err
	}
	j.mu.Lock()
	if j.state != "uploaded" {
		j.mu.Unlock()
		return problem.New(409, "import_started")
	}
	j.state, j.table = "running", t
	j.mu.Unlock()
	plan.FileName = j.FileName
	go func() {
		src, err := j.open()
		var res *Result
		if err == nil {
			res, err = js.Importer.Run(context.Background(), a, t, src, plan, func(n int) { j.read.Store(int64(n)) })
			src.Close()
		}
		os.Remove(j.path)
		j.mu.Lock()
		defer j.mu.Unlock()
		j.result, j.err, j.finished = res, err, time.Now()
		j.state = "done"
		if err != nil {
			j.state = "failed"
			if problem.As(err) == nil { // not the user's to mend: its details stay in the log
				log.Printf("import %s of %s failed: %v", j.ID, j.FileName, err)
			}
		}
	}()
	return nil
}

// Status is a snapshot of a job for its progress display.
type Status struct {
	State  string        // uploaded, running, done, failed
	Table  *schema.Table // where the rows go, once started
	Read   int           // rows read so far
	Rows   int           // rows in the file
	Result *Result       // when finished
	Err    error         // when failed
}

// Status returns the job's progress.
func (j *Job) Status() Status {
	j.mu.Lock()
	defer j.mu.Unlock()
	return Status{State: j.state, Table: j.table, Read: int(j.read.Load()), Rows: j.Rows, Result: j.result, Err: j.err}
}

// sweep forgets finished jobs after a while and removes abandoned uploads. Call with js.mu held.
func (js *Jobs) sweep() {
	for id, j := range js.jobs {
		j.mu.Lock()
		old := !j.finished.IsZero() && time.Since(j.finished) > keep
		abandoned := j.state == "uploaded" && fileAge(j.path) > keep
		j.mu.Unlock()
		if old || abandoned {
			os.Remove(j.path)
			delete(js.jobs, id)
		}
	}
}

func fileAge(path string) time.Duration {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return time.Since(st.ModTime())
}

func newID() string {
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}
