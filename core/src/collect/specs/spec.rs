//! The shape of one table's upsert and the statements generated from it.

/// How one table is upserted.
pub struct Spec {
    /// Qualified table name.
    pub table: &'static str,
    /// Columns of each input row: (name, SQL type).
    pub input: &'static [(&'static str, &'static str)],
    /// (target column, select expression over `x` and the joins).
    pub columns: &'static [(&'static str, &'static str)],
    /// Joins after `FROM jsonb_to_recordset($1) AS x(...)`, resolving parents.
    pub joins: &'static str,
    /// Natural key (the columns of a valid, non-partial unique index on `table`).
    pub key: &'static [&'static str],
    /// Parents a row cannot be written without: (`table alias`, condition over `x`). Rows
    /// failing one are counted as orphans.
    pub required: &'static [(&'static str, &'static str)],
    /// Also write `tool_source`, `tool_version`, `data_source` (from the row) and
    /// `data_collection_date` (now).
    pub meta: bool,
    /// Columns the forge's document always states in full, so a NULL overwrites the stored
    /// value (a cleared body, a reopened item's close time). Every other column keeps its value
    /// when a row brings NULL ("NULL never overwrites": a partial object never erases).
    pub overwrite: &'static [&'static str],
}

/// Metadata columns every data row carries when `Spec::meta` is set.
const META_INPUT: &[(&str, &str)] = &[("data_source", "text")];

impl Spec {
    /// Names of the columns an input row may carry (the spec's input, plus `data_source` when
    /// `meta` is set).
    pub fn input_columns(&self) -> impl Iterator<Item = &'static str> {
        let extra = if self.meta { META_INPUT } else { &[] };
        self.input.iter().chain(extra).map(|(n, _)| *n)
    }

    fn input_defs(&self) -> String {
        let extra = if self.meta { META_INPUT } else { &[] };
        self.input
            .iter()
            .chain(extra)
            .map(|(n, t)| format!("{n} {t}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Counts the rows of a batch (`$1`) whose required parent is missing; `None` when the spec
    /// requires no parent.
    pub fn orphan_sql(&self) -> Option<String> {
        if self.required.is_empty() {
            return None;
        }
        let cond = self
            .required
            .iter()
            .map(|(from, on)| format!("NOT EXISTS (SELECT 1 FROM {from} WHERE {on})"))
            .collect::<Vec<_>>()
            .join(" OR ");
        Some(format!(
            "SELECT count(*) FROM jsonb_to_recordset($1) AS x({}) WHERE {cond}",
            self.input_defs()
        ))
    }

    /// The upsert statement of one batch (`$1`, a `jsonb` array of row objects).
    pub fn sql(&self) -> String {
        let mut targets: Vec<&str> = self.columns.iter().map(|(c, _)| *c).collect();
        let mut selects: Vec<&str> = self.columns.iter().map(|(_, e)| *e).collect();
        if self.meta {
            targets.extend([
                "tool_source",
                "tool_version",
                "data_source",
                "data_collection_date",
            ]);
            selects.extend([
                "'aveloxis'::text",
                concat!("'", env!("CARGO_PKG_VERSION"), "'::text"),
                "x.data_source",
                "now()",
            ]);
        }
        let updates: Vec<String> = targets
            .iter()
            .filter(|c| !self.key.contains(c))
            .map(|c| match self.overwrite.contains(c) {
                true => format!("{c} = EXCLUDED.{c}"),
                false => format!("{c} = COALESCE(EXCLUDED.{c}, t.{c})"),
            })
            .collect();
        let action = if updates.is_empty() {
            "DO NOTHING".to_owned()
        } else {
            format!("DO UPDATE SET {}", updates.join(", "))
        };
        // DISTINCT ON the key: a page may repeat an item (GitHub pagination shifts while
        // items change), and two runs' pages may carry the same item; ON CONFLICT must not see
        // a key twice in one statement. Of the rows with one key, the last in the batch wins:
        // rows come in staging order, so the most recently fetched version is written.
        format!(
            "INSERT INTO {table} AS t ({targets})
             SELECT DISTINCT ON ({key}) {selects}
               FROM jsonb_array_elements($1) WITH ORDINALITY AS e(j, ord)
              CROSS JOIN LATERAL jsonb_to_record(e.j) AS x({input}) {joins}
              ORDER BY {key}, e.ord DESC
             ON CONFLICT ({key}) {action}",
            table = self.table,
            targets = targets.join(", "),
            key = self.key.join(", "),
            selects = selects
                .iter()
                .zip(&targets)
                .map(|(e, c)| format!("{e} AS {c}"))
                .collect::<Vec<_>>()
                .join(", "),
            input = self.input_defs(),
            joins = self.joins,
        )
    }

    /// Reads one input column of one row (`$1`, a `jsonb` object) as its input type: fails
    /// exactly when that column's value is what the database refuses.
    pub fn read_column_sql(&self, column: &str) -> Option<String> {
        let extra = if self.meta { META_INPUT } else { &[] };
        let (name, ty) = self.input.iter().chain(extra).find(|(n, _)| *n == column)?;
        Some(format!(
            "SELECT x.{name} IS NULL FROM jsonb_to_record($1) AS x({name} {ty})"
        ))
    }

    /// Input columns a row must carry a value in: those the natural key reads unchanged. A row
    /// without one cannot be upserted by key (it would be refused as NULL, or inserted again
    /// on every run).
    pub fn required_inputs(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.key.iter().copied().filter(|k| {
            self.columns
                .iter()
                .any(|(c, e)| c == k && e.strip_prefix("x.") == Some(k))
        })
    }
}
