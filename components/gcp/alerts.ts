import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";

/** A Cloud Monitoring duration: seconds with an `s`, e.g. 300 -> `300s`. */
export function seconds(value: number): string {
    return `${value}s`;
}

/** An incident closes by itself this long after its condition stopped being met (30 minutes). */
export const AUTO_CLOSE_SECONDS = 30 * 60;

/**
 * One metric-threshold alert, as plain data: what is measured (a Monitoring filter, optionally
 * divided by a second one for a ratio), how each series is aligned and combined, and when it fires.
 */
export interface ThresholdAlert {
    /** Resource name suffix, e.g. `lb-5xx-rate`. */
    readonly role: string;
    /** Shown in the console and in notifications. */
    readonly displayName: string;
    /** Markdown for whoever is paged: what it means and where to look. */
    readonly documentation: string;
    readonly filter: pulumi.Input<string>;
    /** For a ratio: the denominator's filter (aligned and reduced like the numerator). */
    readonly denominatorFilter?: pulumi.Input<string>;
    /** `ALIGN_RATE`, `ALIGN_MAX`, `ALIGN_MEAN`, ... */
    readonly aligner: string;
    /** `REDUCE_SUM`, `REDUCE_MAX`, ...; absent: each series on its own. */
    readonly reducer?: string;
    /** Labels the reducer keeps series apart by, e.g. `resource.labels.host`. */
    readonly groupBy?: readonly string[];
    readonly alignmentPeriodSeconds: number;
    readonly comparison: "COMPARISON_GT" | "COMPARISON_LT";
    readonly threshold: number;
    /** How long the condition must hold before the alert fires. */
    readonly durationSeconds: number;
    /**
     * What no data means: `INACTIVE` (all is well, e.g. no errors reported), `ACTIVE` (the
     * thing is gone, e.g. no instance reports CPU), or `NO_OP` (keep the last state).
     */
    readonly missingData: "INACTIVE" | "ACTIVE" | "NO_OP";
}

/**
 * An alert that fires as soon as a counter (a DELTA metric, e.g. failed requests) counted anything
 * in the last 5 minutes, and closes when it counts nothing; no data means nothing happened.
 */
export function anyInFiveMinutes(
    alert: Pick<ThresholdAlert, "role" | "displayName" | "documentation" | "filter">,
): ThresholdAlert {
    return {
        ...alert,
        aligner: "ALIGN_SUM",
        reducer: "REDUCE_SUM",
        alignmentPeriodSeconds: 300,
        comparison: "COMPARISON_GT",
        threshold: 0,
        durationSeconds: 0,
        missingData: "INACTIVE",
    };
}

/** The alert policy arguments for `alert`, notifying `channels` when it opens and when it closes. */
export function alertPolicyArgs(
    alert: ThresholdAlert,
    channels: readonly pulumi.Input<string>[],
): gcp.monitoring.AlertPolicyArgs {
    const aggregation = {
        alignmentPeriod: seconds(alert.alignmentPeriodSeconds),
        perSeriesAligner: alert.aligner,
        ...(alert.reducer === undefined ? {} : { crossSeriesReducer: alert.reducer }),
        ...(alert.groupBy === undefined ? {} : { groupByFields: [...alert.groupBy] }),
    };
    return {
        displayName: alert.displayName,
        combiner: "OR",
        severity: "ERROR",
        documentation: { content: alert.documentation, mimeType: "text/markdown" },
        conditions: [
            {
                displayName: alert.displayName,
                conditionThreshold: {
                    filter: alert.filter,
                    aggregations: [aggregation],
                    ...(alert.denominatorFilter === undefined
                        ? {}
                        : { denominatorFilter: alert.denominatorFilter, denominatorAggregations: [aggregation] }),
                    comparison: alert.comparison,
                    thresholdValue: alert.threshold,
                    duration: seconds(alert.durationSeconds),
                    trigger: { count: 1 },
                    evaluationMissingData: `EVALUATION_MISSING_DATA_${alert.missingData}`,
                },
            },
        ],
        notificationChannels: [...channels],
        alertStrategy: { autoClose: seconds(AUTO_CLOSE_SECONDS), notificationPrompts: ["OPENED", "CLOSED"] },
    };
}

/** Creates the alert policy for `alert` as a child of `parent`, named `${name}-${alert.role}`. */
export function alertPolicy(
    name: string,
    alert: ThresholdAlert,
    channels: readonly pulumi.Input<string>[],
    parent: pulumi.Resource,
): gcp.monitoring.AlertPolicy {
    return new gcp.monitoring.AlertPolicy(`${name}-${alert.role}`, alertPolicyArgs(alert, channels), { parent });
}

export interface AlertsArgs {
    /** Address that gets every alert (`monitoring.alarmEmail`). Default: none (no channel). */
    alarmEmail?: string;
    /** Names the channel, e.g. `webapp dev ops`. */
    displayName: string;
}

/**
 * Where the platform's GCP alerts go: an e-mail notification channel for `monitoring.alarmEmail`
 * (Cloud Monitoring sends no confirmation e-mail), or none, in which case incidents are only
 * shown in the console. Every alert policy of the platform notifies `channelIds`.
 */
export class Alerts extends pulumi.ComponentResource {
    public readonly channelIds: pulumi.Output<string>[];

    constructor(name: string, args: AlertsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("webapp:gcp:Alerts", name, {}, opts);
        this.channelIds = [];
        if (args.alarmEmail !== undefined) {
            const channel = new gcp.monitoring.NotificationChannel(
                `${name}-email`,
                {
                    displayName: args.displayName,
                    type: "email",
                    labels: { email_address: args.alarmEmail },
                    forceDelete: true,
                },
                { parent: this },
            );
            this.channelIds.push(channel.name);
        }
        this.registerOutputs({ channelIds: this.channelIds });
    }
}
