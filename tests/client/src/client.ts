// A small typed client over fetch, built only on the types that
// graphql-codegen generates from ../../schema.graphql and ../operations/*.graphql.
// It is type-checked by ../run, never executed.
import type {
  AssessmentQuery,
  AssessmentQueryVariables,
  ComplianceStatus,
  DashboardQuery,
  DashboardQueryVariables,
  IndicatorQuery,
  IndicatorQueryVariables,
  MeQuery,
  MeQueryVariables,
  ReportIndicatorValueInput,
  ReportValueMutation,
  ReportValueMutationVariables,
} from '../generated/graphql';

// The operation texts are the checked-in .graphql files; a bundler would inline them
// (e.g. with a raw-text import). Declaring them keeps this proof free of a bundler.
declare const DashboardDocument: string;
declare const ReportValueDocument: string;
declare const IndicatorDocument: string;
declare const AssessmentDocument: string;
declare const MeDocument: string;

export const ENDPOINT = '/graphql';

/** One entry of a GraphQL response's `errors`, with ecoplan's `extensions.code`. */
export interface GraphQLError {
  message: string;
  path?: ReadonlyArray<string | number>;
  extensions?: { code?: string; [key: string]: unknown };
}

interface GraphQLResponse<TData> {
  data?: TData | null;
  errors?: GraphQLError[];
}

export class GraphQLRequestError extends Error {
  readonly errors: GraphQLError[];
  readonly status: number;
  constructor(status: number, errors: GraphQLError[]) {
    super(errors.map((e) => e.extensions?.code ? `${e.extensions.code}: ${e.message}` : e.message).join('; ') || `HTTP ${status}`);
    this.name = 'GraphQLRequestError';
    this.status = status;
    this.errors = errors;
  }
  /** The first error's code, e.g. FORBIDDEN, NOT_FOUND, CONFLICT. */
  get code(): string | undefined {
    return this.errors[0]?.extensions?.code;
  }
}

export async function graphql<TData, TVars extends Record<string, unknown>>(
  query: string,
  variables: TVars,
  token: string,
): Promise<TData> {
  const response = await fetch(ENDPOINT, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json',
      authorization: `Bearer ${token}`,
    },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as GraphQLResponse<TData>;
  if (body.errors && body.errors.length > 0) {
    throw new GraphQLRequestError(response.status, body.errors);
  }
  if (!response.ok || body.data == null) {
    throw new GraphQLRequestError(response.status, []);
  }
  return body.data;
}

// --- Operations -------------------------------------------------------------

export function loadDashboard(token: string, period: string): Promise<DashboardQuery> {
  return graphql<DashboardQuery, DashboardQueryVariables>(DashboardDocument, { period }, token);
}

export async function reportValue(
  token: string,
  input: ReportIndicatorValueInput,
): Promise<ReportValueMutation['reportIndicatorValue']['value']> {
  const data = await graphql<ReportValueMutation, ReportValueMutationVariables>(
    ReportValueDocument,
    { input },
    token,
  );
  return data.reportIndicatorValue.value;
}

export function loadIndicator(token: string, code: string, period: string): Promise<IndicatorQuery> {
  return graphql<IndicatorQuery, IndicatorQueryVariables>(IndicatorDocument, { code, period }, token);
}

export function loadAssessment(token: string, unit: string, year: number): Promise<AssessmentQuery> {
  return graphql<AssessmentQuery, AssessmentQueryVariables>(AssessmentDocument, { unit, year }, token);
}

export function loadMe(token: string): Promise<MeQuery> {
  return graphql<MeQuery, MeQueryVariables>(MeDocument, {}, token);
}

// --- Using the results --------------------------------------------------------

type DashboardTask = DashboardQuery['tasks']['edges'][number]['node'];
type DashboardIndicator = DashboardTask['indicators'][number];

export type StatusCounts = Record<ComplianceStatus, number>;

/** How many of the dashboard's indicators are MET, NOT_MET and NO_DATA. */
export function countByStatus(dashboard: DashboardQuery): StatusCounts {
  const counts: StatusCounts = { MET: 0, NOT_MET: 0, NO_DATA: 0 };
  for (const { node: task } of dashboard.tasks.edges) {
    for (const indicator of task.indicators) {
      counts[indicator.compliance.status] += 1;
    }
  }
  return counts;
}

export function countMet(dashboard: DashboardQuery): number {
  return countByStatus(dashboard).MET;
}

/** The current value as the UI shows it: Decimal stays a string, yes/no becomes 是/否. */
export function displayValue(indicator: DashboardIndicator): string {
  const current = indicator.compliance.value;
  if (current == null) return '—';
  if (indicator.kind === 'YES_NO') {
    return current.implemented == null ? '—' : current.implemented ? '是' : '否';
  }
  const value: string | null = current.value ?? null;
  if (value == null) return '—';
  return indicator.measurementUnit ? `${value}${indicator.measurementUnit}` : value;
}

/** A condition in words, e.g. "≥ 25"; the target is a Decimal string, never a float. */
export function describeCondition(condition: DashboardIndicator['conditions'][number]): string {
  const target: string = condition.target ?? '';
  switch (condition.comparator) {
    case 'AT_LEAST':
      return `≥ ${target}`;
    case 'AT_MOST':
      return `≤ ${target}`;
    case 'EQUALS':
      return `= ${target}`;
    case 'INCREASING':
      return '逐年提高';
    case 'DECREASING':
      return '持续下降';
    case 'NOT_DECREASING':
      return '不减少';
    case 'MEETS_SUPERIOR_TARGET':
      return '完成上级下达的目标任务';
    case 'NO_OCCURRENCE':
      return '无发生';
    case 'IMPLEMENTED':
      return '已制定/落实';
    default: {
      // A new comparator in the schema makes this a type error until the UI handles it.
      const unhandled: never = condition.comparator;
      return unhandled;
    }
  }
}

/** Rows for a department's table: domain › section › task › indicator. */
export interface DashboardRow {
  domain: string;
  section: string;
  task: string;
  lead: string | undefined;
  indicator: string;
  status: ComplianceStatus;
  declined: boolean;
  value: string;
  conditions: string;
}

export function dashboardRows(dashboard: DashboardQuery): DashboardRow[] {
  return dashboard.tasks.edges.flatMap(({ node: task }) =>
    task.indicators.map((indicator) => ({
      domain: task.section.domain.name,
      section: `${task.section.number}. ${task.section.name}`,
      task: `（${task.number}）${task.title}`,
      lead: task.assignments.find((a) => a.role === 'LEAD')?.unit.name,
      indicator: indicator.name,
      status: indicator.compliance.status,
      declined: indicator.compliance.declined,
      value: displayValue(indicator),
      conditions: indicator.conditions.map(describeCondition).join('，'),
    })),
  );
}

/** A department's flow: load the dashboard, report a missing value, reload. */
export async function reportFirstMissing(token: string, period: string, value: string): Promise<string> {
  const dashboard = await loadDashboard(token, period);
  for (const { node: task } of dashboard.tasks.edges) {
    for (const indicator of task.indicators) {
      if (indicator.compliance.value == null && indicator.kind !== 'YES_NO') {
        const stored = await reportValue(token, {
          indicatorCode: indicator.code,
          period,
          value,
          expectedRevision: 0,
        });
        const reported: string | null = stored.value;
        return `${indicator.code} r${stored.revision} ${stored.status} by ${stored.reportedBy?.code ?? '?'}: ${reported ?? '—'}`;
      }
    }
  }
  const met = countMet(dashboard);
  return `nothing missing; ${met} of ${dashboard.tasks.totalCount} tasks' indicators MET`;
}

/** An indicator page: every revision's value (Decimal strings) and failing conditions. */
export async function indicatorSummary(token: string, code: string, period: string): Promise<string[]> {
  const { indicator } = await loadIndicator(token, code, period);
  if (indicator == null) return [];
  const lines = indicator.values.edges.map(
    ({ node }) => `${node.period} r${node.revision} ${node.status}: ${node.value ?? String(node.implemented)}`,
  );
  for (const condition of indicator.compliance.conditions) {
    if (condition.satisfied === false) lines.push(`✗ ${condition.explanation}`);
  }
  if (indicator.values.pageInfo.hasNextPage && indicator.values.pageInfo.endCursor != null) {
    lines.push(`… more after ${indicator.values.pageInfo.endCursor}`);
  }
  return lines;
}

/** The assessment office: the score line and the points lost, by component. */
export async function assessmentSummary(token: string, unit: string, year: number): Promise<string> {
  const { assessment } = await loadAssessment(token, unit, year);
  const lost = assessment.breakdown
    .filter((line) => line.pointsGiven !== line.pointsPossible)
    .map((line) => `${line.component}/${line.subject}: ${line.pointsGiven}/${line.pointsPossible} (${line.reason})`);
  const rank = assessment.rank == null ? '—' : `${assessment.rank}${assessment.tied ? '（并列）' : ''}`;
  return [`${assessment.score ?? '—'} ${assessment.gradeName ?? ''} rank ${rank}`, ...lost].join('\n');
}

/** Which screens to show: departments report; the assessment office reviews and scores. */
export async function screensFor(token: string): Promise<string[]> {
  const { me } = await loadMe(token);
  switch (me.role) {
    case 'DEPARTMENT':
      return [`dashboard:${me.unit?.code ?? ''}`, 'report'];
    case 'ASSESSOR':
      return ['review', 'assessments'];
    case 'ADMIN':
      return ['units', 'tokens', 'assessments'];
    case 'INTEGRATION':
      return [];
  }
}
