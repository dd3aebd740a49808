/** The Prometheus data source's uid, which the dashboards' `datasource` variable picks by default. */
export const DATASOURCE_UID = "prometheus";

/** Where the stack mounts the dashboards' JSON inside the Grafana container. */
export const GRAFANA_DASHBOARDS_PATH = "/etc/grafana/dashboards/vigie";

/**
 * Grafana's provisioning files, by path under the output directory: the Prometheus data source
 * (`url`, the stack's by default) and the provider that loads the dashboards' JSON.
 */
export function provisioningFiles(prometheusUrl = "http://prometheus:9090"): Record<string, string> {
  return {
    "provisioning/datasources/vigie.yml": [
      "# Grafana provisioning: the stack's Prometheus, default data source of Vigie's dashboards.",
      "# Written by `vigie dashboards build`.",
      "apiVersion: 1",
      "datasources:",
      "  - name: Prometheus",
      `    uid: ${DATASOURCE_UID}`,
      "    type: prometheus",
      "    access: proxy",
      `    url: ${prometheusUrl}`,
      "    isDefault: true",
      "",
    ].join("\n"),
    "provisioning/dashboards/vigie.yml": [
      "# Grafana provisioning: Vigie's dashboards (JSON from `vigie dashboards build`), read from this",
      "# folder; the stack adds each one as a config targeted under this path.",
      "apiVersion: 1",
      "providers:",
      "  - name: vigie",
      "    folder: Vigie",
      "    type: file",
      "    allowUiUpdates: false",
      "    options:",
      `      path: ${GRAFANA_DASHBOARDS_PATH}`,
      "",
    ].join("\n"),
  };
}
