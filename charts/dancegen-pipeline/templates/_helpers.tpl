{{/* Chart name, truncated to 63 characters (a DNS label). */}}
{{- define "dancegen-pipeline.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name: the release name, with the chart name unless it already contains it. */}}
{{- define "dancegen-pipeline.fullname" -}}
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

{{- define "dancegen-pipeline.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "dancegen-pipeline.labels" -}}
helm.sh/chart: {{ include "dancegen-pipeline.chart" . }}
app.kubernetes.io/name: {{ include "dancegen-pipeline.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: dancegen
{{- end }}

{{/* Training pods, as labelled by dancegen.k8s.pytorchjob. */}}
{{- define "dancegen-pipeline.trainingSelector" -}}
app.kubernetes.io/name: dancegen
app.kubernetes.io/component: train
{{- end }}
