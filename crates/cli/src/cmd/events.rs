//! `trailhound events`: filter and print CloudTrail records, or count them by a field.

use std::collections::HashMap;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::process::ExitCode;

use trail::record::{compact_json, field_text, short_principal};
use trail::sort::{ExternalSorter, SortKey};

use super::trail_args::{TrailArgs, finish_report};

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    trail: TrailArgs,
    /// Output format; a table on a terminal, JSON lines otherwise.
    #[arg(long, value_enum)]
    format: Option<EventsFormat>,
    /// Count records by a field (a dotted path such as eventName, userIdentity.arn,
    /// sourceIPAddress, requestParameters.keyName) instead of printing them.
    #[arg(long, value_name = "FIELD")]
    count_by: Option<String>,
    /// Memory for sorting output before it spills to temporary files.
    #[arg(long, default_value_t = 64, value_name = "MIB", hide = true)]
    sort_memory_mib: usize,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum EventsFormat {
    Table,
    Jsonl,
    Csv,
}

/// The columns of the table and CSV outputs.
const COLUMNS: [&str; 9] = [
    "time",
    "account",
    "region",
    "principal",
    "source_ip",
    "event",
    "error",
    "parameter",
    "event_id",
];

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let (sources, early, opts) = args.trail.prepare()?;
    let stdout_tty = io::stdout().is_terminal();
    let format = args.format.unwrap_or(if stdout_tty {
        EventsFormat::Table
    } else {
        EventsFormat::Jsonl
    });
    let mut out = BufWriter::new(io::stdout().lock());

    let report = if let Some(field) = &args.count_by {
        let mut counts: HashMap<String, u64> = HashMap::new();
        let report = trail::scan(
            &sources,
            &opts,
            |rec, raw, _| Ok(Some(field_text(rec, raw, field))),
            |value| {
                *counts
                    .entry(value.unwrap_or_else(|| "(missing)".into()))
                    .or_default() += 1
            },
        );
        let mut rows: Vec<(String, u64)> = counts.into_iter().collect();
        rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        write_counts(&mut out, format, field, &rows)?;
        report
    } else {
        let mut sorter = ExternalSorter::new(args.sort_memory_mib << 20);
        let mut spill_error = None;
        let report = trail::scan(
            &sources,
            &opts,
            |rec, raw, time| {
                let key = SortKey {
                    time_ns: time.as_nanosecond(),
                    event_id: rec.event_id.as_deref().unwrap_or_default().to_string(),
                };
                let payload = match format {
                    EventsFormat::Jsonl => compact_json(raw.get()).into_bytes(),
                    _ => serde_json::to_vec(&columns(rec, time)).expect("strings serialise"),
                };
                Ok(Some((key, payload)))
            },
            |(key, payload)| {
                if spill_error.is_none()
                    && let Err(e) = sorter.push(key, payload)
                {
                    spill_error = Some(e);
                }
            },
        );
        if let Some(e) = spill_error {
            anyhow::bail!("cannot write the temporary sort file: {e}");
        }
        let color = stdout_tty && std::env::var_os("NO_COLOR").is_none();
        match format {
            EventsFormat::Table => write_table_header(&mut out, color)?,
            EventsFormat::Csv => out.write_all(&csv_row(&COLUMNS)?)?,
            EventsFormat::Jsonl => {}
        }
        sorter.finish(|_, payload| {
            match format {
                EventsFormat::Jsonl => {
                    out.write_all(payload)?;
                    out.write_all(b"\n")?;
                }
                EventsFormat::Table => {
                    let cols: Vec<String> = serde_json::from_slice(payload)?;
                    write_table_row(&mut out, &cols, color)?;
                }
                EventsFormat::Csv => {
                    let cols: Vec<String> = serde_json::from_slice(payload)?;
                    out.write_all(&csv_row(&cols)?)?;
                }
            }
            Ok(())
        })?;
        report
    };
    match out.flush() {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
        other => other?,
    }
    let report = finish_report(early, report);
    Ok(if report.skipped_anything() {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

/// One CSV line, quoted as needed.
fn csv_row<S: AsRef<[u8]>>(cells: &[S]) -> io::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(cells)?;
    w.into_inner().map_err(|e| e.into_error())
}

fn columns(rec: &trail::Record<'_>, time: jiff::Timestamp) -> [String; 9] {
    let s = |v: Option<&str>| v.unwrap_or_default().to_string();
    [
        time.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        s(rec.account()),
        s(rec.aws_region.as_deref()),
        s(rec.principal()),
        s(rec.source_ip_address.as_deref()),
        s(rec.event_name.as_deref()),
        s(rec.error_code.as_deref()),
        rec.key_parameter().unwrap_or_default(),
        s(rec.event_id.as_deref()),
    ]
}

fn fit(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        format!("{s:<width$}")
    } else {
        let cut: String = s.chars().take(width.saturating_sub(1)).collect();
        format!("{cut}…")
    }
}

const WIDTHS: [usize; 7] = [20, 12, 14, 34, 15, 30, 22];

fn write_table_header(out: &mut impl Write, color: bool) -> io::Result<()> {
    let names = [
        "TIME",
        "ACCOUNT",
        "REGION",
        "PRINCIPAL",
        "SOURCE IP",
        "EVENT",
        "ERROR",
    ];
    let mut line = String::new();
    for (name, w) in names.iter().zip(WIDTHS) {
        line.push_str(&fit(name, w));
        line.push(' ');
    }
    line.push_str("PARAMETER");
    if color {
        writeln!(out, "\x1b[1m{line}\x1b[0m")
    } else {
        writeln!(out, "{line}")
    }
}

fn write_table_row(out: &mut impl Write, cols: &[String], color: bool) -> io::Result<()> {
    let principal = short_principal(&cols[3]);
    let cells = [
        cols[0].as_str(),
        &cols[1],
        &cols[2],
        principal,
        &cols[4],
        &cols[5],
        &cols[6],
    ];
    let paint = |text: String, code: &str| {
        if color && !text.trim().is_empty() {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text
        }
    };
    let mut line = String::new();
    for (i, (cell, w)) in cells.iter().zip(WIDTHS).enumerate() {
        let text = fit(cell, w);
        line.push_str(&match i {
            0 => paint(text, "2"),
            5 => paint(text, "1"),
            6 => paint(text, "31"),
            _ => text,
        });
        line.push(' ');
    }
    line.push_str(&cols[7]);
    writeln!(out, "{}", line.trim_end())
}

fn write_counts(
    out: &mut impl Write,
    format: EventsFormat,
    field: &str,
    rows: &[(String, u64)],
) -> anyhow::Result<()> {
    match format {
        EventsFormat::Table => {
            let width = rows.first().map_or(5, |r| r.1.to_string().len().max(5));
            writeln!(out, "{:>width$}  {field}", "COUNT")?;
            for (value, count) in rows {
                writeln!(out, "{count:>width$}  {value}")?;
            }
        }
        EventsFormat::Jsonl => {
            for (value, count) in rows {
                let line = serde_json::json!({ "field": field, "value": value, "count": count });
                writeln!(out, "{line}")?;
            }
        }
        EventsFormat::Csv => {
            let mut w = csv::Writer::from_writer(out);
            w.write_record([field, "count"])?;
            for (value, count) in rows {
                w.write_record([value.as_str(), &count.to_string()])?;
            }
            w.flush()?;
        }
    }
    Ok(())
}
