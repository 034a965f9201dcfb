{{/* Chart name, truncated to 63 characters (a DNS label). */}}
{{- define "dancegen-mlflow.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name: the release name, with the chart name unless it already contains it. */}}
{{- define "dancegen-mlflow.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "dancegen-mlflow.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "dancegen-mlflow.labels" -}}
helm.sh/chart: {{ include "dancegen-mlflow.chart" . }}
app.kubernetes.io/name: {{ include "dancegen-mlflow.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: dancegen
{{- end }}

{{- define "dancegen-mlflow.selectorLabels" -}}
app.kubernetes.io/name: {{ include "dancegen-mlflow.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "dancegen-mlflow.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "dancegen-mlflow.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* Host headers MLflow accepts: the Service DNS names and localhost (port-forward), any port, and server.allowedHosts. */}}
{{- define "dancegen-mlflow.allowedHosts" -}}
{{- $svc := include "dancegen-mlflow.fullname" . }}
{{- $hosts := list $svc (printf "%s.%s" $svc .Release.Namespace) (printf "%s.%s.svc" $svc .Release.Namespace) (printf "%s.%s.svc.*" $svc .Release.Namespace) "localhost" "127.0.0.1" }}
{{- $withPorts := list }}
{{- range $hosts }}{{ $withPorts = append $withPorts . }}{{ $withPorts = append $withPorts (printf "%s:*" .) }}{{ end }}
{{- concat $withPorts .Values.server.allowedHosts | join "," }}
{{- end }}
