//! Whether a resource of CloudWatch and CloudWatch Logs exists, asked of its own service.

use super::super::{Clients, Deployed, StackResource};

/// `None` for a type of another service.
pub(super) async fn exists(c: &Clients, d: &Deployed, r: &StackResource, id: &str) -> Option<bool> {
    Some(match r.resource_type.as_str() {
        "AWS::CloudWatch::Alarm" => c
            .cloudwatch
            .describe_alarms()
            .alarm_names(id)
            .send()
            .await
            .is_ok_and(|o| !o.metric_alarms().is_empty() || !o.composite_alarms().is_empty()),
        "AWS::CloudWatch::Dashboard" => c
            .cloudwatch
            .get_dashboard()
            .dashboard_name(id)
            .send()
            .await
            .is_ok(),
        "AWS::Logs::LogGroup" => c
            .logs
            .describe_log_groups()
            .log_group_name_prefix(id)
            .send()
            .await
            .is_ok_and(|o| {
                o.log_groups()
                    .iter()
                    .any(|g| g.log_group_name() == Some(id))
            }),
        "AWS::Logs::LogStream" => {
            let group = d.def(&r.logical_id)["Properties"]["LogGroupName"]["Ref"]
                .as_str()
                .map(|l| d.physical(l).to_string())
                .expect("log stream names its group with Ref");
            c.logs
                .describe_log_streams()
                .log_group_name(group)
                .send()
                .await
                .is_ok_and(|o| {
                    o.log_streams()
                        .iter()
                        .any(|s| s.log_stream_name() == Some(id))
                })
        }
        _ => return None,
    })
}
