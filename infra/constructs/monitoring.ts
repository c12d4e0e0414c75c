import { Duration } from 'aws-cdk-lib';
import * as cw from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE } from './pipeline-function.ts';

const FIVE_MINUTES = Duration.minutes(5);
/** The monitor probes the warehouse once an hour (functions/monitor.ts, QUALITY_PROBE_EVERY_MS). */
const ONE_HOUR = Duration.hours(1);

/** Defaults of the data-quality thresholds, in percent. */
export const DEFAULT_MAX_DAILY_FILLS_DROP_PERCENT = 50;
export const DEFAULT_MAX_UNMAPPED_FILLS_PERCENT = 5;

/** Where each alarm's runbook entry lives (docs/OPERATIONS.md anchors). */
const RUNBOOK = 'docs/OPERATIONS.md#runbook';

export interface MonitoringProps {
  readonly stage: string;
  readonly topic: sns.ITopic;
  readonly functions: Readonly<Record<string, lambda.IFunction>>;
  readonly queues: Readonly<Record<string, sqs.IQueue>>;
  readonly deadLetterQueues: Readonly<Record<string, sqs.IQueue>>;
  readonly staleAfterSeconds: number;
  readonly maxFillLagSeconds: number;
  readonly sourceThrottledPer5Minutes: number;
  /** A last complete day with more than this many percent fewer fills than the day before alarms (default 50). */
  readonly maxDailyFillsDropPercent?: number;
  /** More than this percent of the recent fills without a mapped token alarms (default 5). */
  readonly maxUnmappedFillsPercent?: number;
}

/**
 * A pipeline metric, summed or maxed over every dimension set that carries
 * this stage's `Stage` dimension.
 *
 * A CloudWatch Metrics Insights query rather than a plain metric, because a
 * plain metric matches one exact dimension set: Powertools always adds a
 * `service` dimension, and an emitter that adds one more (say, `Source` on
 * SourceThrottled) would silently detach a plain-metric alarm from its data.
 * The query aggregates whatever the functions emit for this stage.
 */
export function pipelineMetric(stage: string, metricName: string, aggregate: 'MAX' | 'SUM', period: Duration = FIVE_MINUTES): cw.MathExpression {
  return new cw.MathExpression({
    expression: `SELECT ${aggregate}(${metricName}) FROM ${METRICS_NAMESPACE} WHERE Stage = '${stage}'`,
    usingMetrics: {},
    label: metricName,
    period,
  });
}

/**
 * Every alarm of the pipeline, each to the one SNS topic (alarm and OK), and
 * a dashboard that shows the same figures. What each alarm means and what to
 * do about it: docs/OPERATIONS.md, "Runbook".
 */
export class Monitoring extends Construct {
  readonly alarms: cw.Alarm[] = [];
  readonly dashboard: cw.Dashboard;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const { stage } = props;
    const name = (suffix: string) => `polymarket-sync-${stage}-${suffix}`;
    const action = new cwActions.SnsAction(props.topic);
    const add = (alarm: cw.Alarm) => {
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
      this.alarms.push(alarm);
      return alarm;
    };

    // Freshness, published by the monitor every 5 minutes whether or not the
    // pipeline runs. Missing data breaches: a silent monitor is as bad as a
    // stale warehouse. Three consecutive periods ride out one lost probe.
    const secondsSinceLastLoad = pipelineMetric(stage, 'SecondsSinceLastLoad', 'MAX');
    const newestFillLag = pipelineMetric(stage, 'NewestFillLagSeconds', 'MAX');
    add(
      new cw.Alarm(this, 'StaleLoadsAlarm', {
        alarmName: name('stale-loads'),
        alarmDescription: `No load into ClickHouse for more than ${props.staleAfterSeconds} s, or the monitor stopped reporting. Runbook: ${RUNBOOK} (stale-loads).`,
        metric: secondsSinceLastLoad,
        threshold: props.staleAfterSeconds,
        comparisonOperator: cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 3,
        datapointsToAlarm: 3,
        treatMissingData: cw.TreatMissingData.BREACHING,
      }),
    );
    add(
      new cw.Alarm(this, 'FillLagAlarm', {
        alarmName: name('fill-lag'),
        alarmDescription: `The newest loaded fill is more than ${props.maxFillLagSeconds} s behind the source head, or the monitor stopped reporting. Runbook: ${RUNBOOK} (fill-lag).`,
        metric: newestFillLag,
        threshold: props.maxFillLagSeconds,
        comparisonOperator: cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 3,
        datapointsToAlarm: 3,
        treatMissingData: cw.TreatMissingData.BREACHING,
      }),
    );

    // Dead-letter queues: any message there is a shard or an object that
    // gave up after maxReceiveCount deliveries. SQS stops publishing metrics
    // for idle queues, so missing data here means "empty".
    for (const [key, dlq] of Object.entries(props.deadLetterQueues)) {
      add(
        new cw.Alarm(this, `${cap(key)}DlqDepthAlarm`, {
          alarmName: name(`${key}-dlq-not-empty`),
          alarmDescription: `Messages in the ${key} dead-letter queue. Runbook: ${RUNBOOK} (dlq-not-empty).`,
          metric: dlq.metricApproximateNumberOfMessagesVisible({ period: FIVE_MINUTES, statistic: cw.Stats.MAXIMUM }),
          threshold: 0,
          comparisonOperator: cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: cw.TreatMissingData.NOT_BREACHING,
        }),
      );
    }

    // Per function: unhandled errors (timeouts included; a fetcher's or
    // loader's reported partial batch failures are not errors) and throttles.
    // No invocations means no data, which is fine.
    for (const [key, fn] of Object.entries(props.functions)) {
      add(
        new cw.Alarm(this, `${cap(key)}ErrorsAlarm`, {
          alarmName: name(`${key}-errors`),
          alarmDescription: `The ${key} function failed (error or timeout). Runbook: ${RUNBOOK} (function-errors).`,
          metric: fn.metricErrors({ period: FIVE_MINUTES, statistic: cw.Stats.SUM }),
          threshold: 1,
          comparisonOperator: cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: cw.TreatMissingData.NOT_BREACHING,
        }),
      );
      add(
        new cw.Alarm(this, `${cap(key)}ThrottlesAlarm`, {
          alarmName: name(`${key}-throttles`),
          alarmDescription: `Lambda throttled the ${key} function. Runbook: ${RUNBOOK} (function-throttles).`,
          metric: fn.metricThrottles({ period: FIVE_MINUTES, statistic: cw.Stats.SUM }),
          threshold: 1,
          comparisonOperator: cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: cw.TreatMissingData.NOT_BREACHING,
        }),
      );
    }

    // The sources' HTTP 429s: the fetchers back off on their own, so a few
    // are normal; a sustained rate means maxConcurrency is above what the
    // source tolerates.
    const sourceThrottled = pipelineMetric(stage, 'SourceThrottled', 'SUM');
    add(
      new cw.Alarm(this, 'SourceThrottledAlarm', {
        alarmName: name('source-throttled'),
        alarmDescription: `More than ${props.sourceThrottledPer5Minutes} HTTP 429s from the sources in 5 minutes, for 15 minutes. Runbook: ${RUNBOOK} (source-throttled).`,
        metric: sourceThrottled,
        threshold: props.sourceThrottledPer5Minutes,
        comparisonOperator: cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 3,
        datapointsToAlarm: 3,
        treatMissingData: cw.TreatMissingData.NOT_BREACHING,
      }),
    );

    // Rows we could not parse went to the rejects place: never silent.
    const rowsRejected = pipelineMetric(stage, 'RowsRejected', 'SUM');
    add(
      new cw.Alarm(this, 'RowsRejectedAlarm', {
        alarmName: name('rows-rejected'),
        alarmDescription: `Source rows were rejected (unparseable) and set aside. Runbook: ${RUNBOOK} (rows-rejected).`,
        metric: rowsRejected,
        threshold: 0,
        comparisonOperator: cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cw.TreatMissingData.NOT_BREACHING,
      }),
    );

    // Data quality, probed by the monitor once an hour (shared/ops/quality/probe.ts).
    // No probe, no data: the probe skips the daily comparison while a run is
    // open, and its own failures have their own alarm below.
    const maxDrop = props.maxDailyFillsDropPercent ?? DEFAULT_MAX_DAILY_FILLS_DROP_PERCENT;
    const maxUnmapped = props.maxUnmappedFillsPercent ?? DEFAULT_MAX_UNMAPPED_FILLS_PERCENT;
    const dailyFillsDrop = pipelineMetric(stage, 'DailyFillsDropPercent', 'MAX', ONE_HOUR);
    const unmappedFills = pipelineMetric(stage, 'UnmappedFillsPercent', 'MAX', ONE_HOUR);
    const mappedTokensLost = pipelineMetric(stage, 'MappedTokensLost', 'MAX', ONE_HOUR);
    const qualityProbeFailed = pipelineMetric(stage, 'QualityProbeFailed', 'SUM', ONE_HOUR);
    const misattributed = pipelineMetric(stage, 'MisattributedActivityAddresses', 'MAX', ONE_HOUR);
    add(
      new cw.Alarm(this, 'DailyFillsDropAlarm', {
        alarmName: name('daily-fills-drop'),
        alarmDescription: `The last complete day had more than ${maxDrop}% fewer fills than the day before: a source may have broken quietly. Runbook: ${RUNBOOK} (daily-fills-drop).`,
        metric: dailyFillsDrop,
        threshold: maxDrop,
        comparisonOperator: cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 2,
        datapointsToAlarm: 2,
        treatMissingData: cw.TreatMissingData.NOT_BREACHING,
      }),
    );
    add(
      new cw.Alarm(this, 'UnmappedFillsAlarm', {
        alarmName: name('unmapped-fills'),
        alarmDescription: `More than ${maxUnmapped}% of the last 7 days' fills have a token no market source maps. Runbook: ${RUNBOOK} (unmapped-fills).`,
        metric: unmappedFills,
        threshold: maxUnmapped,
        comparisonOperator: cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 2,
        datapointsToAlarm: 2,
        treatMissingData: cw.TreatMissingData.NOT_BREACHING,
      }),
    );
    add(
      new cw.Alarm(this, 'MappedTokensDecreasedAlarm', {
        alarmName: name('mapped-tokens-decreased'),
        alarmDescription: `market_tokens maps fewer tokens than at the previous probe: mapping rows were lost. Runbook: ${RUNBOOK} (mapped-tokens-decreased).`,
        metric: mappedTokensLost,
        threshold: 0,
        comparisonOperator: cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cw.TreatMissingData.NOT_BREACHING,
      }),
    );
    add(
      new cw.Alarm(this, 'ActivityMisattributedAlarm', {
        alarmName: name('activity-misattributed'),
        alarmDescription: `Splits, merges or redemptions are credited to a collateral adapter, or to an address that looks like one, instead of the wallets behind it. Runbook: ${RUNBOOK} (activity-misattributed).`,
        metric: misattributed,
        threshold: 0,
        comparisonOperator: cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cw.TreatMissingData.NOT_BREACHING,
      }),
    );
    add(
      new cw.Alarm(this, 'QualityProbeFailingAlarm', {
        alarmName: name('quality-probe-failing'),
        alarmDescription: `The monitor could not measure data quality in ClickHouse for 2 hours; the quality alarms are blind. Runbook: ${RUNBOOK} (quality-probe-failing).`,
        metric: qualityProbeFailed,
        threshold: 1,
        comparisonOperator: cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 2,
        datapointsToAlarm: 2,
        treatMissingData: cw.TreatMissingData.NOT_BREACHING,
      }),
    );

    this.dashboard = new cw.Dashboard(this, 'Dashboard', {
      dashboardName: `PolymarketSync-${stage}`,
      defaultInterval: Duration.days(1),
    });
    const fns = Object.entries(props.functions);
    const width = 12;
    this.dashboard.addWidgets(
      new cw.TextWidget({
        markdown: `# Polymarket sync (${stage})\nAlarms and what to do about them: \`${RUNBOOK}\`.`,
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(new cw.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24, height: 4 }));
    this.dashboard.addWidgets(
      new cw.GraphWidget({
        title: 'Freshness (s)',
        left: [secondsSinceLastLoad, newestFillLag],
        leftAnnotations: [
          { value: props.staleAfterSeconds, label: 'stale-loads threshold' },
          { value: props.maxFillLagSeconds, label: 'fill-lag threshold' },
        ],
        width,
      }),
      new cw.GraphWidget({
        title: 'Fills staged / loaded / rejected',
        left: [pipelineMetric(stage, 'FillsStaged', 'SUM'), pipelineMetric(stage, 'FillsLoaded', 'SUM')],
        right: [rowsRejected],
        width,
      }),
    );
    this.dashboard.addWidgets(
      new cw.GraphWidget({
        title: 'Source requests and 429s',
        left: [pipelineMetric(stage, 'SourceRequests', 'SUM')],
        right: [sourceThrottled],
        rightAnnotations: [{ value: props.sourceThrottledPer5Minutes, label: 'source-throttled threshold' }],
        width,
      }),
      new cw.GraphWidget({
        title: 'Dead-letter queues (messages)',
        left: Object.entries(props.deadLetterQueues).map(([key, q]) =>
          q.metricApproximateNumberOfMessagesVisible({ label: `${key} DLQ`, period: FIVE_MINUTES, statistic: cw.Stats.MAXIMUM }),
        ),
        width,
      }),
    );
    this.dashboard.addWidgets(
      new cw.GraphWidget({
        title: 'Queue depth',
        left: Object.entries(props.queues).map(([key, q]) =>
          q.metricApproximateNumberOfMessagesVisible({ label: `${key} visible`, period: FIVE_MINUTES, statistic: cw.Stats.MAXIMUM }),
        ),
        right: Object.entries(props.queues).map(([key, q]) =>
          q.metricApproximateAgeOfOldestMessage({ label: `${key} oldest (s)`, period: FIVE_MINUTES, statistic: cw.Stats.MAXIMUM }),
        ),
        width,
      }),
      new cw.GraphWidget({
        title: 'Function errors and throttles',
        left: fns.map(([key, fn]) => fn.metricErrors({ label: `${key} errors`, period: FIVE_MINUTES, statistic: cw.Stats.SUM })),
        right: fns.map(([key, fn]) => fn.metricThrottles({ label: `${key} throttles`, period: FIVE_MINUTES, statistic: cw.Stats.SUM })),
        width,
      }),
    );
    this.dashboard.addWidgets(
      new cw.GraphWidget({
        title: 'Data quality (%, hourly)',
        left: [dailyFillsDrop, unmappedFills],
        leftAnnotations: [
          { value: maxDrop, label: 'daily-fills-drop threshold' },
          { value: maxUnmapped, label: 'unmapped-fills threshold' },
        ],
        width,
      }),
      new cw.GraphWidget({
        title: 'Mapped tokens lost / quality probe failures',
        left: [mappedTokensLost],
        right: [qualityProbeFailed],
        width,
      }),
    );
    this.dashboard.addWidgets(
      new cw.GraphWidget({
        title: 'Invocations',
        left: fns.map(([key, fn]) => fn.metricInvocations({ label: key, period: FIVE_MINUTES, statistic: cw.Stats.SUM })),
        width,
      }),
      new cw.GraphWidget({
        title: 'Duration p99 (ms)',
        left: fns.map(([key, fn]) => fn.metricDuration({ label: key, period: FIVE_MINUTES, statistic: cw.Stats.p(99) })),
        width,
      }),
    );
  }
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
