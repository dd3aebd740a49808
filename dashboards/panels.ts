import { PanelBuilder as StatPanel } from "@grafana/grafana-foundation-sdk/stat";
import { PanelBuilder as TablePanel } from "@grafana/grafana-foundation-sdk/table";
import { PanelBuilder as TimeseriesPanel } from "@grafana/grafana-foundation-sdk/timeseries";
import { BigValueColorMode, BigValueGraphMode, ReduceDataOptionsBuilder } from "@grafana/grafana-foundation-sdk/common";
import {
  DashboardBuilder,
  DashboardCursorSync,
  DatasourceVariableBuilder,
  QueryVariableBuilder,
  ThresholdsConfigBuilder,
  ThresholdsMode,
  VariableRefresh,
  VariableSort,
  type DataSourceRef,
} from "@grafana/grafana-foundation-sdk/dashboard";
import { DataqueryBuilder as PromQuery, PromQueryFormat } from "@grafana/grafana-foundation-sdk/prometheus";

/**
 * The panel patterns every Vigie dashboard is made of, as functions: one place decides how a stat,
 * a time series or a table looks, which data source it asks and how its queries are built.
 */

/** Every panel asks the data source the dashboard's `datasource` variable names. */
export const DATASOURCE: DataSourceRef = { type: "prometheus", uid: "${datasource}" };

/** One query of a panel: a PromQL expression, and the legend of its series. */
export interface Q {
  expr: string;
  legend?: string;
}

const REF_IDS = "ABCDEFGHIJ";

function targets(qs: readonly Q[], instant: boolean, table = false): PromQuery[] {
  return qs.map((q, i) => {
    const t = new PromQuery().expr(q.expr).refId(REF_IDS[i] ?? `Q${i}`);
    if (q.legend) t.legendFormat(q.legend);
    if (instant) t.instant();
    else t.range();
    if (table) t.format(PromQueryFormat.Table);
    return t;
  });
}

export interface Layout {
  /** Width out of 24. */
  span?: number;
  height?: number;
  description?: string;
}

type Step = { value: number | null; color: string };
const thresholds = (steps: Step[]) => new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps(steps);
/** Green, then red from `bad` up. */
export const redFrom = (bad: number): Step[] => [{ value: null, color: "green" }, { value: bad, color: "red" }];
/** Red below `good`, green from it up. */
export const greenFrom = (good: number): Step[] => [{ value: null, color: "red" }, { value: good, color: "green" }];

/** A single number, the last value of its query; coloured by `steps`. */
export function stat(title: string, q: Q | Q[], opts: Layout & { unit?: string; steps?: Step[]; noValue?: string } = {}): StatPanel {
  const p = new StatPanel()
    .title(title)
    .datasource(DATASOURCE)
    .span(opts.span ?? 4)
    .height(opts.height ?? 4)
    .reduceOptions(new ReduceDataOptionsBuilder().calcs(["lastNotNull"]))
    .graphMode(BigValueGraphMode.None)
    .colorMode(BigValueColorMode.Background)
    .thresholds(thresholds(opts.steps ?? [{ value: null, color: "blue" }]));
  for (const t of targets(Array.isArray(q) ? q : [q], true)) p.withTarget(t);
  if (opts.unit) p.unit(opts.unit);
  if (opts.noValue) p.noValue(opts.noValue);
  if (opts.description) p.description(opts.description);
  return p;
}

/** Series over the dashboard's time range. */
export function timeseries(title: string, qs: Q[], opts: Layout & { unit?: string; min?: number; max?: number } = {}): TimeseriesPanel {
  const p = new TimeseriesPanel()
    .title(title)
    .datasource(DATASOURCE)
    .span(opts.span ?? 12)
    .height(opts.height ?? 8);
  for (const t of targets(qs, false)) p.withTarget(t);
  if (opts.unit) p.unit(opts.unit);
  if (opts.min !== undefined) p.min(opts.min);
  if (opts.max !== undefined) p.max(opts.max);
  if (opts.description) p.description(opts.description);
  return p;
}

/** The current rows of a query, one per series, its labels as columns. */
export function table(title: string, q: Q, opts: Layout & { unit?: string; noValue?: string } = {}): TablePanel {
  const p = new TablePanel()
    .title(title)
    .datasource(DATASOURCE)
    .span(opts.span ?? 12)
    .height(opts.height ?? 8);
  for (const t of targets([q], true, true)) p.withTarget(t);
  if (opts.unit) p.unit(opts.unit);
  if (opts.noValue) p.noValue(opts.noValue);
  if (opts.description) p.description(opts.description);
  return p;
}

/** A Vigie dashboard: its uid, the Prometheus data source variable, 30 s refresh, the last hour. */
export function dashboard(uid: string, title: string, description: string): DashboardBuilder {
  return new DashboardBuilder(`Vigie / ${title}`)
    .uid(uid)
    .description(description)
    .tags(["vigie"])
    .editable()
    .refresh("30s")
    .time({ from: "now-1h", to: "now" })
    .timezone("browser")
    .tooltip(DashboardCursorSync.Crosshair)
    .withVariable(new DatasourceVariableBuilder("datasource").label("Data source").type("prometheus"));
}

/** A variable whose values are a label's values (`label_values(selector, label)`). */
export function labelVariable(name: string, label: string, selector: string, opts: { title?: string; multi?: boolean } = {}): QueryVariableBuilder {
  const v = new QueryVariableBuilder(name)
    .label(opts.title ?? name)
    .datasource(DATASOURCE)
    .query(`label_values(${selector}, ${label})`)
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.AlphabeticalAsc);
  if (opts.multi) v.multi(true).includeAll(true).allValue(".*");
  return v;
}

/** `rate()` over Grafana's interval, which follows the scrape interval and the zoom. */
export const rate = (selector: string): string => `rate(${selector}[$__rate_interval])`;
export const increase = (selector: string): string => `increase(${selector}[$__rate_interval])`;
