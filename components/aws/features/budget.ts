import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { required } from "../../shared/required";
import type { AwsFeature } from "./types";

/** Anomalies smaller than this (USD of total impact) are not worth an e-mail. */
export const ANOMALY_ALERT_MIN_USD = 10;

export interface BudgetArgs {
    /** The environment whose cost is tracked (resources carry the `environment` tag). */
    environment: string;
    /** Monthly cost limit in USD (`features.monthlyBudgetUsd`). */
    monthlyLimitUsd: number;
    /** Where alerts go (`monitoring.alarmEmail`). */
    alertEmail: string;
}

/** Budget notifications: 80 % of the limit actually spent, and 100 % forecast by month end. */
export function budgetNotifications(alertEmail: string) {
    return [
        { notificationType: "ACTUAL", threshold: 80 },
        { notificationType: "FORECASTED", threshold: 100 },
    ].map((n) => ({
        ...n,
        comparisonOperator: "GREATER_THAN",
        thresholdType: "PERCENTAGE",
        subscriberEmailAddresses: [alertEmail],
    }));
}

/**
 * Opt-in cost controls (`features.monthlyBudgetUsd`): a monthly cost budget for this environment's
 * resources with e-mail alerts, and Cost Anomaly Detection on the same resources. Both select the
 * environment by its `environment` tag, which must be activated once per account as a cost
 * allocation tag (Billing console, "Cost allocation tags") before costs show up under it.
 */
export class Budget extends pulumi.ComponentResource {
    public readonly budgetName: pulumi.Output<string>;

    constructor(name: string, args: BudgetArgs, opts?: pulumi.ComponentResourceOptions) {
        super("webapp:aws:Budget", name, {}, opts);
        const child = { parent: this };

        const budget = new aws.budgets.Budget(
            `${name}-monthly`,
            {
                budgetType: "COST",
                timeUnit: "MONTHLY",
                limitAmount: args.monthlyLimitUsd.toFixed(2),
                limitUnit: "USD",
                costFilters: [{ name: "TagKeyValue", values: [`user:environment$${args.environment}`] }],
                notifications: budgetNotifications(args.alertEmail),
            },
            child,
        );

        const monitor = new aws.costexplorer.AnomalyMonitor(
            `${name}-anomalies`,
            {
                monitorType: "CUSTOM",
                monitorSpecification: JSON.stringify({
                    Tags: { Key: "environment", Values: [args.environment], MatchOptions: ["EQUALS"] },
                }),
            },
            child,
        );
        new aws.costexplorer.AnomalySubscription(
            `${name}-anomaly-alerts`,
            {
                frequency: "DAILY",
                monitorArnLists: [monitor.arn],
                subscribers: [{ type: "EMAIL", address: args.alertEmail }],
                thresholdExpression: {
                    dimension: {
                        key: "ANOMALY_TOTAL_IMPACT_ABSOLUTE",
                        matchOptions: ["GREATER_THAN_OR_EQUAL"],
                        values: [String(ANOMALY_ALERT_MIN_USD)],
                    },
                },
            },
            child,
        );

        this.budgetName = budget.name;
        this.registerOutputs({ budgetName: this.budgetName });
    }
}

/** `features.monthlyBudgetUsd`: the budget and anomaly alerts, e-mailed to `monitoring.alarmEmail`. */
export const AWS_BUDGET: AwsFeature = {
    build: (ctx) => {
        const { features, monitoring } = ctx.config;
        new Budget(
            ctx.name("budget"),
            {
                environment: ctx.environment,
                monthlyLimitUsd: required(features.monthlyBudgetUsd, "features.monthlyBudgetUsd"),
                // The feature's config check requires it.
                alertEmail: required(monitoring.alarmEmail, "monitoring.alarmEmail"),
            },
            ctx.tierOpts,
        );
    },
};
