package store

// Dialect returns the engine the transaction runs on, for the few statements
// that differ between engines.
func (tx *Tx) Dialect() Dialect { return tx.db.Dialect }
